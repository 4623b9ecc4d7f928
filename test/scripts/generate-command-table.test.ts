import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/*
 * The generator's rules, on command definitions shaped as Redis's src/commands/*.json (a few
 * written here: the real files are not needed at test time). The committed table is the
 * same generator run on Redis 7.4.1's files.
 */

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const key = { name: 'key', type: 'key', key_spec_index: 0 };
const str = { type: 'string' };

const DEFINITIONS: Record<string, unknown> = {
  'get.json': { GET: { arity: 2, arguments: [key], reply_schema: { oneOf: [str, { type: 'null' }] } } },
  'expire.json': {
    EXPIRE: {
      arguments: [key, { name: 'seconds', type: 'integer' }, { name: 'condition', type: 'oneof', optional: true, arguments: [{ name: 'nx', type: 'pure-token', token: 'NX' }, { name: 'xx', type: 'pure-token', token: 'XX' }] }],
      reply_schema: { oneOf: [{ const: 0 }, { const: 1 }] },
    },
  },
  'del.json': { DEL: { arguments: [{ ...key, multiple: true }], reply_schema: { type: 'integer' } } },
  'incr.json': { INCR: { arguments: [key], reply_schema: { type: 'integer' } } },
  'mset.json': { MSET: { arguments: [{ name: 'data', type: 'block', multiple: true, arguments: [key, { name: 'value', type: 'string' }] }], reply_schema: { const: 'OK' } } },
  'hgetall.json': { HGETALL: { arguments: [key], reply_schema: { type: 'object', additionalProperties: str } } },
  'smembers.json': { SMEMBERS: { arguments: [key], reply_schema: { type: 'array', uniqueItems: true, items: str } } },
  'zrange.json': {
    ZRANGE: {
      arguments: [key, { name: 'start', type: 'string' }, { name: 'stop', type: 'string' }, { name: 'withscores', token: 'WITHSCORES', type: 'pure-token', optional: true }],
      reply_schema: {
        anyOf: [
          { type: 'array', uniqueItems: true, items: str },
          { type: 'array', uniqueItems: true, items: { type: 'array', minItems: 2, maxItems: 2, items: [str, { type: 'number' }] } },
        ],
      },
    },
  },
  'scan.json': {
    SCAN: {
      arguments: [{ name: 'cursor', type: 'integer' }, { token: 'MATCH', name: 'pattern', type: 'pattern', optional: true }],
      reply_schema: { type: 'array', items: [str, { type: 'array', items: str }] },
    },
  },
  'config.json': { CONFIG: { arity: -2 } },
  'config-get.json': { GET: { container: 'CONFIG', arguments: [{ name: 'parameter', type: 'string', multiple: true }], reply_schema: { type: 'object', additionalProperties: str } } },
};

let dir: string;
let table: string;

beforeAll(async () => {
  await mkdir(join(root, '.tmp'), { recursive: true });
  dir = await mkdtemp(join(root, '.tmp', 'generator-'));
  await mkdir(join(dir, 'commands'));
  await writeFile(join(dir, 'version.h'), '#define REDIS_VERSION "9.9.9"\n');
  for (const [file, def] of Object.entries(DEFINITIONS)) await writeFile(join(dir, 'commands', file), JSON.stringify(def));
  const out = join(dir, 'table.ts');
  await run(process.execPath, [join(root, 'scripts/generate-command-table.mjs'), join(dir, 'commands'), '--commit', 'abc123', '--out', out]);
  table = await readFile(out, 'utf8');
}, 30_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (name: string, section: 'args' | 'replies'): string => {
  const start = table.indexOf(section === 'args' ? 'export interface CommandArgs' : 'export interface CommandReplies');
  const found = table.slice(start).split('\n').find((l) => l.startsWith(`  ${name}:`));
  if (found === undefined) throw new Error(`no ${section} entry for ${name}`);
  return found.slice(name.length + 4).replace(/;$/, '');
};

it('names the Redis version and commit it came from', () => {
  expect(table).toMatch(/^\/\/ GENERATED .* from Redis 9\.9\.9 \(commit abc123\)/);
  expect(table).toContain("COMMAND_TABLE_SOURCE = { version: '9.9.9', commit: 'abc123' }");
});

it('types leading positionals and bounds the arity of a finite grammar', () => {
  expect(line('get', 'args')).toBe('readonly [key: K, o?: O]');
  expect(line('expire', 'args')).toBe('readonly [key: K, seconds: I, arg?: A | O, o?: O]');
});

it('takes a SCAN cursor as the server sent it (a string or Buffer), not only as a number', () => {
  expect(line('scan', 'args')).toBe('readonly [cursor: A, arg?: A | O, arg2?: A | O, o?: O]');
  expect(line('scan', 'replies')).toBe('[S, S[]]');
});

it('makes variadic parts a rest, so spreads of arrays type-check', () => {
  expect(line('del', 'args')).toBe('readonly [...rest: (K | O)[]]');
  expect(line('mset', 'args')).toBe('readonly [...rest: (A | O)[]]');
});

it('maps reply schemas: null, constants, integers that can pass 2^53, maps, RESP3 sets only where the server sends them, score pairs', () => {
  expect(line('get', 'replies')).toBe('S | null');
  expect(line('expire', 'replies')).toBe('0 | 1');
  expect(line('del', 'replies')).toBe('number');
  expect(line('incr', 'replies')).toBe('Wide');
  expect(line('mset', 'replies')).toBe("Lit<S, L, 'OK'>");
  expect(line('hgetall', 'replies')).toBe('MapR<P, S, S>');
  expect(line('smembers', 'replies')).toBe('SetR<P, S>');
  expect(line('zrange', 'replies')).toBe('S[] | Pairs<P, S, Dbl<S, P>>');
});

it('keys subcommands by their container: arguments start with the subcommand, replies under container|sub', () => {
  expect(table).toContain("export type ContainerName = 'config';");
  expect(table).toMatch(/ {2}config:\n {4}\| readonly \[sub: 'get' \| 'GET', \.\.\.rest: \(A \| O\)\[\]\];/);
  expect(line("'config|get'", 'replies')).toBe('MapR<P, S, S>');
});
