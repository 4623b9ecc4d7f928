/**
 * The keys the client-side cache drops for a write are the keys the server itself finds in
 * the command: `keysWritten` (the key specs of COMMAND INFO, evaluated locally) is compared
 * with the server's `COMMAND GETKEYS` for writes of every key-spec shape, over RESP2 and
 * RESP3 (whose COMMAND INFO replies differ in shape).
 */
import { Redis } from '../../lib/core/index.js';
import { CommandSpecs } from '../../lib/core/commands/command-specs.js';
import { keysWritten, EVERYTHING } from '../../lib/core/cache/written-keys.js';
import type { CommandArg } from '../../lib/core/resp/types.js';
import { useRedisServer } from '../fixtures.js';

const server = useRedisServer();

/** Writes of every key-spec shape: index + range (step 1, 2, to the end), keynum, keyword, several specs. */
const WRITES: CommandArg[][] = [
  ['set', 'k', 'v', 'get'],
  ['mset', 'a', '1', 'b', '2', 'c', '3'],
  ['msetnx', 'a', '1', 'b', '2'],
  ['del', 'a', 'b', 'c'],
  ['unlink', 'a', 'b'],
  ['rename', 'src', 'dst'],
  ['renamenx', 'src', 'dst'],
  ['copy', 'src', 'dst', 'db', '1', 'replace'],
  ['smove', 'from', 'to', 'member'],
  ['lmove', 'from', 'to', 'left', 'right'],
  ['blmove', 'from', 'to', 'left', 'right', '0'],
  ['rpoplpush', 'from', 'to'],
  ['eval', "return redis.call('set', KEYS[1], KEYS[2])", 2, 'a', 'b', 'arg'],
  ['evalsha', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 3, 'a', 'b', 'c'],
  ['fcall', 'f', 2, 'a', 'b', 'arg'],
  ['sunionstore', 'dst', 'a', 'b', 'c'],
  ['zunionstore', 'dst', 2, 'a', 'b', 'weights', 1, 2],
  ['bitop', 'and', 'dst', 'a', 'b', 'c'],
  ['pfmerge', 'dst', 'a', 'b'],
  ['georadius', 'src', 0, 0, 1, 'km', 'store', 'dst', 'storedist', 'dist'],
  ['lmpop', 2, 'a', 'b', 'left'],
  ['zmpop', 3, 'a', 'b', 'c', 'min', 'count', 2],
  ['xadd', 's', '*', 'f', 'v'],
  ['xreadgroup', 'group', 'g', 'c', 'streams', 'a', 'b', '>', '>'],
  ['hset', 'h', 'f', 'v'],
  ['expire', 'k', 10],
  ['getdel', 'k'],
  ['getex', 'k', 'persist'],
];

/** Commands the client cannot place alone: it asks the server, so the answer is the server's by construction. */
const ASKED: CommandArg[][] = [
  ['sort', 'list', 'by', 'w_*', 'store', 'dst'],
  ['migrate', '127.0.0.1', 1, '', 0, 5000, 'keys', 'a', 'b'],
];

describe.each([2, 3] as const)('keys a write may change, over RESP%i', (respVersion) => {
  let redis: Redis;
  let specs: CommandSpecs;
  let queries: string[];
  beforeEach(() => {
    redis = new Redis({ address: [server.host, server.port], respVersion });
    queries = [];
    specs = new CommandSpecs((args, settings) => {
      queries.push(`${args[0]} ${args[1]}`);
      return redis.call(...args, settings);
    });
  });
  afterEach(() => redis.close());

  const serverKeys = async (command: CommandArg[]) => ((await redis.call('command', 'getkeys', ...command, { decoder: 'utf8' })) as string[]).sort();

  it.each(WRITES.map((command) => [command.join(' '), command] as const))('%s: every key COMMAND GETKEYS names, found locally', async (_, command) => {
    const name = String(command[0]);
    // The first time the spec is loaded (one COMMAND INFO); then it is known at once.
    const first = await keysWritten(name, command, specs, 'utf8');
    const again = keysWritten(name, command, specs, 'utf8');
    expect(again).not.toBeInstanceOf(Promise);
    expect(first).toEqual(again);
    expect([...new Set(again as string[])].sort()).toEqual(await serverKeys(command));
    expect(queries).toEqual(['COMMAND INFO']);
  });

  it.each(ASKED.map((command) => [command.join(' '), command] as const))('%s: asks COMMAND GETKEYS', async (_, command) => {
    const keys = await keysWritten(String(command[0]), command, specs, 'utf8');
    expect([...(keys as string[])].sort()).toEqual(await serverKeys(command));
    expect(queries).toEqual(['COMMAND INFO', 'COMMAND GETKEYS']);
  });

  it('reads change nothing; FLUSHALL everything; an unknown command drops its first argument', async () => {
    expect(await keysWritten('get', ['get', 'k'], specs, 'utf8')).toEqual([]);
    expect(await keysWritten('eval_ro', ['eval_ro', 'return 1', 1, 'k'], specs, 'utf8')).toEqual([]);
    expect(await keysWritten('object', ['object', 'encoding', 'k'], specs, 'utf8')).toEqual([]);
    expect(keysWritten('flushall', ['flushall'], specs, 'utf8')).toBe(EVERYTHING);
    expect(await keysWritten('nosuchcommand', ['nosuchcommand', 'x', 'y'], specs, 'utf8')).toEqual(['x']);
  });

  it('drops everything when the command table cannot be read', async () => {
    const refusing = new CommandSpecs(() => redis.call('command', 'nosuchsubcommand'));
    expect(await keysWritten('set', ['set', 'k', 'v'], refusing, 'utf8')).toBe(EVERYTHING);
  });
});
