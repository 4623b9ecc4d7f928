#!/usr/bin/env node
/**
 * Writes lib/core/commands/command-table.generated.ts from Redis's own command definitions
 * (`src/commands/*.json` of a Redis 7.2+ source tree): per command and subcommand, the
 * argument grammar as a tuple type and the reply as a type built from `reply_schema`.
 *
 *   npm run generate:commands -- /path/to/redis/src/commands [--commit <sha>] [--version <x.y.z>] [--out <file>]
 *
 * The JSON files are the facts we derive from; they are not committed. The Redis version is
 * read from `../version.h` beside the commands folder, the commit from `git rev-parse HEAD`
 * there (or given with --commit, e.g. for a `git archive` extract).
 *
 * Mapping rules (docs: README "Typed calls"):
 * - arguments: leading required positionals typed (key/string/pattern → K, integer/unix-time
 *   → I, double → F); the rest of the grammar (optional tokens, blocks, choices) counted to
 *   give the minimum arity and, when small and bounded, the maximum; loosely typed (A).
 * - replies: "string" → S (the decoder's string type), "const" strings → Lit (the literal on
 *   ASCII-preserving decoders), "integer" → number (Wide = number | bigint for the commands in
 *   WIDE_INTEGERS, whose values a user sets), "number" → Dbl (RESP3 double, RESP2 bulk
 *   string), "object" → MapR (RESP3 map, RESP2 flat array), "null" → null, oneOf/anyOf → union.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT_OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../lib/core/commands/command-table.generated.ts');

/** Integer replies that carry a value a user sets (a counter, a bit field, an expiry): they can pass 2^53. */
const WIDE_INTEGERS = new Set([
  'incr', 'incrby', 'decr', 'decrby', 'hincrby', 'bitfield', 'bitfield_ro',
  'ttl', 'pttl', 'expiretime', 'pexpiretime', 'httl', 'hpttl', 'hexpiretime', 'hpexpiretime',
]);

/**
 * `uniqueItems` in a schema says "no duplicates", not "RESP3 set": ZRANGE and HKEYS carry it
 * and reply with arrays. Only these commands send the RESP3 set type (addReplySetLen in t_set.c).
 */
const RESP3_SETS = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'spop']);

/**
 * Introspection replies with lists that RESP3 sends as sets (flags, ACL categories, tips, key
 * specs: addReplyCommandFlags and friends in server.c, acl.c, networking.c, functions.c) but
 * that their schemas describe as plain arrays: every list in them is typed "array, or a set on RESP3".
 */
const RESP3_LOOSE_SETS = new Set(['command', 'command|info', 'command|docs', 'acl|getuser', 'client|trackinginfo', 'function|list']);

/** Maps that RESP2 sends as an array of [key, value] pairs, not flat (XREAD's streams, t_stream.c). */
const RESP2_PAIRED_MAPS = new Set(['xread', 'xreadgroup']);

/** Where reply_schema disagrees with what the server sends. */
const SCHEMA_FIXES = {
  // Both counts are integers (`waitaofCommand` replies with two addReplyLongLong).
  waitaof: { type: 'array', items: [{ type: 'integer' }, { type: 'integer' }] },
  // An empty source list gives a null, as RPOPLPUSH says and LMOVE does not (`lmoveGenericCommand`).
  lmove: { oneOf: [{ type: 'string' }, { type: 'null' }] },
};

/** Tuples with more optional slots than this take a rest element instead. */
const MAX_OPTIONAL_SLOTS = 6;

const SIMPLE = { key: 'K', string: 'A', pattern: 'A', integer: 'I', 'unix-time': 'I', double: 'F' };

function main(argv) {
  const dir = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  if (dir === undefined) {
    console.error('usage: generate-command-table.mjs <redis>/src/commands [--commit <sha>] [--version <x.y.z>] [--out <file>]');
    process.exit(2);
  }
  const flag = (name) => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const version = flag('version') ?? readVersion(dir);
  const commit = flag('commit') ?? readCommit(dir);
  const out = flag('out') ?? DEFAULT_OUT;
  const commands = new Map();
  const subcommands = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    for (const [name, def] of Object.entries(json)) {
      if (def.container !== undefined) {
        const parent = def.container.toLowerCase();
        if (!subcommands.has(parent)) subcommands.set(parent, new Map());
        subcommands.get(parent).set(name.toLowerCase(), def);
      } else {
        commands.set(name.toLowerCase(), def);
      }
    }
  }
  writeFileSync(out, render(commands, subcommands, version, commit));
  console.log(`wrote ${out}: ${commands.size} commands, ${[...subcommands.values()].reduce((n, m) => n + m.size, 0)} subcommands (Redis ${version}, ${commit})`);
}

function readVersion(dir) {
  const header = join(dir, '..', 'version.h');
  if (!existsSync(header)) return 'unknown';
  return /REDIS_VERSION "([^"]+)"/.exec(readFileSync(header, 'utf8'))?.[1] ?? 'unknown';
}

function readCommit(dir) {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

const prop = (name) => (/^[a-z_$][a-z0-9_$]*$/i.test(name) ? name : `'${name}'`);

function render(commands, subcommands, version, commit) {
  const names = [...new Set([...commands.keys(), ...subcommands.keys()])].sort();
  const args = [];
  const replies = [];
  for (const name of names) {
    const subs = subcommands.get(name);
    if (subs !== undefined) {
      const alternatives = [...subs.keys()].sort().map((sub) => {
        const token = `sub: '${sub}' | '${sub.toUpperCase()}'`;
        return argsTuple(subs.get(sub).arguments ?? [], token);
      });
      args.push(`  ${prop(name)}:\n    | ${alternatives.join('\n    | ')};`);
      for (const sub of [...subs.keys()].sort()) replies.push(`  '${name}|${sub}': ${replyType(subs.get(sub), `${name}|${sub}`)};`);
    } else {
      args.push(`  ${prop(name)}: ${argsTuple(commands.get(name).arguments ?? [], null)};`);
      replies.push(`  ${prop(name)}: ${replyType(commands.get(name), name)};`);
    }
  }
  return `// GENERATED by scripts/generate-command-table.mjs from Redis ${version} (commit ${commit}),
// src/commands/*.json. Do not edit: change the generator and run
// \`npm run generate:commands -- <redis>/src/commands\`.
import type { RespVersion } from '../options.js';
import type { A, Dbl, F, I, K, ListOrSet, Lit, MapPairs, MapR, O, Pairs, SetR, Wide } from './command-types.js';

/** Redis version and commit the table was generated from. */
export const COMMAND_TABLE_SOURCE = { version: '${version}', commit: '${commit}' } as const;

/** Commands whose first argument names a subcommand (\`client list\`, \`config get\`, ...). */
export type ContainerName = ${[...subcommands.keys()].sort().map((n) => `'${n}'`).join(' | ')};

/** Arguments after the command name, by lowercase command name; containers take the subcommand first. */
export interface CommandArgs {
${args.join('\n')}
}

/**
 * Replies by lowercase command name (\`container|sub\` for subcommands) for a decoder whose
 * strings are S (L: the decoder keeps ASCII literals) and RESP version P.
 */
export interface CommandReplies<S, L extends boolean, P extends RespVersion> {
${replies.join('\n')}
}
`;
}

/** Fewest and most arguments a grammar element takes (Infinity: unbounded). */
function span(arg) {
  let min;
  let max;
  if (arg.type === 'pure-token') {
    min = max = 1;
  } else if (arg.type === 'oneof') {
    const parts = arg.arguments.map(span);
    min = Math.min(...parts.map((p) => p.min));
    max = Math.max(...parts.map((p) => p.max));
  } else if (arg.type === 'block') {
    const parts = arg.arguments.map(span);
    min = parts.reduce((n, p) => n + p.min, 0);
    max = parts.reduce((n, p) => n + p.max, 0);
  } else {
    min = max = 1;
  }
  if (arg.token !== undefined && arg.type !== 'pure-token') {
    min += 1;
    max += 1;
  }
  if (arg.multiple) max = Infinity;
  if (arg.optional) min = 0;
  return { min, max };
}

function label(name, used) {
  let base = name.replace(/[^a-z0-9]+(.)?/gi, (_, c) => (c ? c.toUpperCase() : '')).replace(/^[0-9]/, '_$&') || 'arg';
  if (['arguments', 'eval', 'default', 'function', 'delete', 'new', 'in', 'type'].includes(base)) base = `${base}_`;
  let out = base;
  for (let i = 2; used.has(out); i++) out = `${base}${i}`;
  used.add(out);
  return out;
}

/**
 * A tuple type for a grammar: typed leading positionals, then loosely typed slots or a rest.
 * A variadic part (`key [key ...]`, `field value [field value ...]`) and all after it is a
 * rest, so that spreading an array (`call('del', ...keys)`) type-checks; the server checks
 * that at least one was given.
 */
function argsTuple(grammar, head) {
  const used = new Set(['o', 'sub', 'rest']);
  const elements = head === null ? [] : [head];
  let i = 0;
  for (; i < grammar.length; i++) {
    const arg = grammar[i];
    // A SCAN cursor is passed back as the server sent it (a string or a Buffer), not as a number.
    const type = arg.name === 'cursor' ? 'A' : SIMPLE[arg.type];
    if (arg.optional || arg.token !== undefined || type === undefined) break;
    if (arg.multiple) {
      const rest = i === grammar.length - 1 ? type : 'A';
      return `readonly [${[...elements, `...rest: (${rest} | O)[]`].join(', ')}]`;
    }
    elements.push(`${label(arg.name, used)}: ${type}`);
  }
  let min = 0;
  let max = 0;
  for (const arg of grammar.slice(i)) {
    const s = span(arg);
    min += s.min;
    max += s.max;
  }
  if (max === Infinity) {
    elements.push('...rest: (A | O)[]');
  } else if (max - min > MAX_OPTIONAL_SLOTS) {
    for (let n = 0; n < min; n++) elements.push(`${label('arg', used)}: A`);
    elements.push('...rest: (A | O)[]');
  } else {
    for (let n = 0; n < min; n++) elements.push(`${label('arg', used)}: A`);
    for (let n = min; n < max; n++) elements.push(`${label('arg', used)}?: A | O`);
    elements.push('o?: O');
  }
  return `readonly [${elements.join(', ')}]`;
}

function replyType(def, name) {
  const schema = SCHEMA_FIXES[name] ?? def.reply_schema;
  if (schema === undefined) return 'any';
  return schemaType(schema, { wide: WIDE_INTEGERS.has(name), sets: RESP3_SETS.has(name), looseSets: RESP3_LOOSE_SETS.has(name), pairedMaps: RESP2_PAIRED_MAPS.has(name) });
}

function union(types) {
  const unique = [...new Set(types)];
  if (unique.includes('any')) return 'any';
  return unique.length === 0 ? 'never' : unique.join(' | ');
}

const paren = (t) => (t.includes(' ') && !/^[A-Za-z]+<.*>$/.test(t) ? `(${t})` : t);

function schemaType(s, ctx) {
  if (s === true || s === undefined) return 'any';
  if (s === false) return 'never';
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives !== undefined) return union(alternatives.map((a) => schemaType(a, ctx)));
  if (s.const !== undefined) return typeof s.const === 'string' ? `Lit<S, L, ${JSON.stringify(s.const).replace(/^"|"$/g, "'")}>` : JSON.stringify(s.const);
  switch (s.type) {
    case 'string':
      return 'S';
    case 'integer':
      return ctx.wide ? 'Wide' : 'number';
    case 'number':
      return 'Dbl<S, P>';
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    case 'array':
      return arrayType(s, ctx);
    case 'object':
      return objectType(s, ctx);
    default:
      return 'any';
  }
}

function arrayType(s, ctx) {
  if (Array.isArray(s.items)) {
    const items = s.items.map((i) => schemaType(i, ctx));
    const extra = s.additionalItems === undefined || s.additionalItems === false ? null : schemaType(s.additionalItems, ctx);
    return `[${items.join(', ')}${extra === null ? '' : `, ...${paren(extra)}[]`}]`;
  }
  const item = s.items === undefined ? 'any' : s.items;
  if (item !== 'any' && isPair(item, s)) {
    return `Pairs<P, ${schemaType(item.items[0], ctx)}, ${schemaType(item.items[1], ctx)}>`;
  }
  const t = item === 'any' ? 'any' : schemaType(item, ctx);
  if (s.uniqueItems && ctx.sets) return `SetR<P, ${t}>`;
  if (ctx.looseSets) return `ListOrSet<P, ${t}>`;
  return `${paren(t)}[]`;
}

/**
 * Arrays of [member, score] (sorted sets WITHSCORES) or of pairs the docs call "a flat array
 * in RESP2": RESP3 nests each pair, RESP2 flattens them.
 */
function isPair(item, s) {
  if (item.type !== 'array' || !Array.isArray(item.items) || item.items.length !== 2) return false;
  const [a, b] = item.items;
  return (a.type === 'string' && b.type === 'number') || /flat array/i.test(s.description ?? '');
}

function objectType(s, ctx) {
  const values = [];
  for (const v of Object.values(s.properties ?? {})) values.push(schemaType(v, ctx));
  for (const v of Object.values(s.patternProperties ?? {})) values.push(schemaType(v, ctx));
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) values.push(schemaType(s.additionalProperties, ctx));
  if (values.length === 0 && s.additionalProperties !== false) values.push('any');
  return `${ctx.pairedMaps ? 'MapPairs' : 'MapR'}<P, S, ${union(values)}>`;
}

main(process.argv.slice(2));
