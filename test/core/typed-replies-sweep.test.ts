import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { Redis, type CommandArg } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

/*
 * A sweep over many commands: for each, the compiler says what `call` replies (on RESP2 and
 * RESP3, decoder 'utf8'), a real server says what it does reply, and the value must be of
 * the type. This catches a reply_schema that does not describe the wire (WAITAOF's "number",
 * ZRANGE's "uniqueItems") or a mapping rule of ours that is wrong, without a test per command.
 * Commands new since 7.0 (the server here) are not in the list.
 */

const SEED: [string, ...CommandArg[]][] = [
  ['set', 'str', 'hello'],
  ['set', 'num', '10'],
  ['hset', 'h', 'f1', 'v1', 'f2', '2'],
  ['rpush', 'l', 'a', 'b', 'c'],
  ['sadd', 's', 'x', 'y'],
  ['sadd', 's2', 'y', 'z'],
  ['zadd', 'z', '1.5', 'm1', '2', 'm2', '3', 'm3'],
  ['xadd', 'x', '1-1', 'field', 'value'],
  ['geoadd', 'g', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'],
  ['pfadd', 'hll', 'a', 'b'],
  ['setbit', 'bits', '7', '1'],
  ['expire', 'num', '100'],
];

const CASES: [string, ...CommandArg[]][] = [
  ['get', 'str'], ['get', 'missing'], ['set', 'k', 'v'], ['set', 'str', 'again', 'GET'], ['set', 'k', 'v', 'NX'],
  ['mset', 'a', '1', 'b', '2'], ['mget', 'a', 'missing'], ['incr', 'counter'], ['incrbyfloat', 'fl', '1.5'],
  ['append', 'str', '!'], ['strlen', 'str'], ['getrange', 'str', 0, 1], ['exists', 'str', 'missing'], ['type', 'h'],
  ['ttl', 'num'], ['pttl', 'missing'], ['expire', 'str', 100], ['persist', 'str'], ['keys', 's*'], ['dbsize'],
  ['echo', 'hi'], ['ping'], ['ping', 'msg'], ['time'], ['lastsave'], ['copy', 'str', 'str-copy'],
  ['hget', 'h', 'f1'], ['hgetall', 'h'], ['hkeys', 'h'], ['hvals', 'h'], ['hlen', 'h'], ['hmget', 'h', 'f1', 'nope'],
  ['hincrby', 'h', 'f2', 1], ['hincrbyfloat', 'h', 'f2', '0.5'], ['hexists', 'h', 'f1'], ['hrandfield', 'h', 2, 'WITHVALUES'],
  ['hrandfield', 'h'], ['hscan', 'h', '0'],
  ['lrange', 'l', 0, -1], ['llen', 'l'], ['lindex', 'l', 0], ['lpos', 'l', 'b'], ['lpos', 'l', 'b', 'COUNT', 0], ['lpop', 'l'], ['lpop', 'l', 2],
  ['smembers', 's'], ['sismember', 's', 'x'], ['smismember', 's', 'x', 'q'], ['scard', 's'], ['srandmember', 's'],
  ['srandmember', 's', 2], ['sinter', 's', 's2'], ['sunion', 's', 's2'], ['sdiff', 's', 's2'], ['sscan', 's', '0'], ['spop', 's2', 1],
  ['zscore', 'z', 'm1'], ['zscore', 'z', 'nope'], ['zincrby', 'z', 1, 'm1'], ['zrange', 'z', 0, -1], ['zrange', 'z', 0, -1, 'WITHSCORES'],
  ['zrangebyscore', 'z', '-inf', '+inf', 'WITHSCORES'], ['zrank', 'z', 'm2'], ['zrevrank', 'z', 'm2'], ['zcard', 'z'], ['zcount', 'z', '(1', 3],
  ['zmscore', 'z', 'm1', 'nope'], ['zrandmember', 'z', 2, 'WITHSCORES'], ['zpopmin', 'z'], ['zpopmax', 'z', 1], ['zscan', 'z', '0'],
  ['zadd', 'z', 'INCR', 1, 'm2'], ['zunion', 2, 'z', 'z', 'WITHSCORES'],
  ['xlen', 'x'], ['xrange', 'x', '-', '+'], ['xread', 'STREAMS', 'x', '0'], ['xinfo', 'stream', 'x'], ['xadd', 'x', '*', 'f', 'v'],
  ['geopos', 'g', 'Palermo', 'nowhere'], ['geodist', 'g', 'Palermo', 'Catania'], ['geosearch', 'g', 'FROMMEMBER', 'Palermo', 'BYRADIUS', 200, 'km', 'WITHDIST', 'WITHCOORD'],
  ['pfcount', 'hll'], ['getbit', 'bits', 7], ['bitcount', 'bits'], ['bitfield', 'bits', 'GET', 'u8', 0],
  ['object', 'encoding', 'l'], ['memory', 'usage', 'str'], ['config', 'get', 'maxmemory-policy'], ['client', 'id'], ['client', 'getname'],
  ['info', 'server'], ['command', 'count'], ['scan', '0'], ['hello'],
  ['getdel', 'a'], ['getex', 'b', 'PERSIST'], ['setrange', 'str', 0, 'J'], ['msetnx', 'n1', '1'], ['unlink', 'n1'], ['touch', 'str'],
  ['randomkey'], ['expiretime', 'num'], ['pexpiretime', 'str'], ['rename', 'b', 'b2'], ['sort', 'l', 'ALPHA'],
  ['rpush', 'l3', 'a'], ['lset', 'l3', 0, 'c'], ['linsert', 'l', 'BEFORE', 'c', 'b'], ['lmove', 'l', 'l2', 'LEFT', 'RIGHT'], ['lmpop', 1, 'l', 'LEFT'], ['blpop', 'l2', 1],
  ['ltrim', 'l', 0, -1], ['smove', 's', 's2', 'x'], ['srem', 's2', 'nope'], ['sintercard', 2, 's', 's2'],
  ['zpopmin', 'z', 2], ['zrandmember', 'z'], ['zrandmember', 'z', -2], ['zrangebylex', 'z', '-', '+'], ['zlexcount', 'z', '-', '+'],
  ['zinter', 2, 'z', 'z', 'WITHSCORES'], ['zdiff', 2, 'z', 'zz', 'WITHSCORES'], ['zmpop', 1, 'z', 'MIN', 'COUNT', 1], ['bzpopmin', 'z', 1],
  ['zadd', 'z', 1, 'm1'], ['zrem', 'z', 'nope'], ['zremrangebyrank', 'zz', 0, 0],
  ['hrandfield', 'h', -3, 'WITHVALUES'], ['hsetnx', 'h', 'f9', 'v'], ['hstrlen', 'h', 'f1'], ['hdel', 'h', 'f9'],
  ['xrevrange', 'x', '+', '-', 'COUNT', 1], ['xgroup', 'create', 'x', 'grp', '0'], ['xreadgroup', 'GROUP', 'grp', 'c1', 'STREAMS', 'x', '>'],
  ['xpending', 'x', 'grp'], ['xpending', 'x', 'grp', '-', '+', 10], ['xautoclaim', 'x', 'grp', 'c2', 0, '0-0'], ['xclaim', 'x', 'grp', 'c3', 0, '1-1'],
  ['xack', 'x', 'grp', '1-1'], ['xinfo', 'groups', 'x'], ['xinfo', 'consumers', 'x', 'grp'], ['xinfo', 'stream', 'x', 'FULL'], ['xtrim', 'x', 'MAXLEN', 10],
  ['georadius', 'g', 15, 37, 200, 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH'], ['geohash', 'g', 'Palermo'], ['geosearch', 'g', 'FROMLONLAT', 15, 37, 'BYBOX', 400, 400, 'km'],
  ['command', 'info', 'get'], ['command', 'docs', 'get'], ['command', 'getkeys', 'set', 'k', 'v'], ['command', 'list', 'FILTERBY', 'ACLCAT', 'hyperloglog'],
  ['acl', 'whoami'], ['acl', 'cat'], ['acl', 'getuser', 'default'], ['acl', 'list'], ['acl', 'users'], ['acl', 'log'],
  ['slowlog', 'get'], ['slowlog', 'len'], ['latency', 'latest'], ['memory', 'stats'], ['memory', 'doctor'], ['function', 'list'], ['function', 'stats'],
  ['config', 'get', '*max*'], ['client', 'list'], ['client', 'info'], ['client', 'trackinginfo'],
  ['object', 'idletime', 'str'], ['object', 'refcount', 'str'], ['role'], ['pubsub', 'channels'], ['pubsub', 'numsub', 'ch'], ['pubsub', 'numpat'],
  ['script', 'load', 'return 1'], ['script', 'exists', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'], ['module', 'list'], ['wait', 0, 0],
  ['lolwut', 'VERSION', 5], ['substr', 'str', 0, 1], ['strlen', 'nope'], ['bitpos', 'bits', 1], ['pfmerge', 'hll2', 'hll'],
];

const server = useRedisServer();
const root = resolve(import.meta.dirname, '../..');

/** The awaited reply type of every case, per protocol, as the compiler sees it. */
async function replyTypes(): Promise<{ checker: ts.TypeChecker; types: Map<string, ts.Type> }> {
  await mkdir(join(root, '.tmp'), { recursive: true });
  const dir = await mkdtemp(join(root, '.tmp', 'sweep-'));
  const lines = ["import type { Redis } from '../../lib/core/index.js';", "declare const r2: Redis<'utf8', 2>;", "declare const r3: Redis<'utf8', 3>;"];
  CASES.forEach((c, i) => {
    const args = c.map((a) => JSON.stringify(a)).join(', ');
    lines.push(`export const c${i}_2 = await r2.call(${args});`, `export const c${i}_3 = await r3.call(${args});`);
  });
  const file = join(dir, 'sweep.ts');
  await writeFile(file, `${lines.join('\n')}\nexport {};\n`);
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, skipLibCheck: true, noEmit: true, types: ['node'] };
  const program = ts.createProgram([file], options);
  const errors = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  await rm(dir, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(`the sweep's calls do not type-check:\n${errors.join('\n')}`);
  const checker = program.getTypeChecker();
  const types = new Map<string, ts.Type>();
  const source = program.getSourceFile(file)!;
  for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)) {
    types.set(symbol.name, checker.getTypeOfSymbol(symbol));
  }
  return { checker, types };
}

/** Whether a decoded reply is of a type: the few type forms the command table uses. */
function conforms(checker: ts.TypeChecker, value: unknown, type: ts.Type): boolean {
  const f = type.flags;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return true;
  if (type.isUnion()) return type.types.some((t) => conforms(checker, value, t));
  if (type.isStringLiteral()) return value === type.value;
  if (type.isNumberLiteral()) return value === type.value;
  if (f & ts.TypeFlags.String) return typeof value === 'string';
  if (f & ts.TypeFlags.Number) return typeof value === 'number';
  if (f & ts.TypeFlags.BigInt) return typeof value === 'bigint';
  if (f & ts.TypeFlags.Null) return value === null;
  if (f & ts.TypeFlags.BooleanLiteral) return value === (checker.typeToString(type) === 'true');
  if (checker.isTupleType(type)) {
    const target = (type as ts.TypeReference).target as ts.TupleType;
    const elements = checker.getTypeArguments(type as ts.TypeReference);
    if (!Array.isArray(value) || value.length < target.minLength) return false;
    if (!target.hasRestElement && value.length > elements.length) return false;
    return value.every((v, i) => conforms(checker, v, elements[Math.min(i, elements.length - 1)]));
  }
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    return Array.isArray(value) && value.every((v) => conforms(checker, v, element));
  }
  const name = type.getSymbol()?.name;
  if (name === 'Map') {
    const [k, v] = checker.getTypeArguments(type as ts.TypeReference);
    return value instanceof Map && [...value].every(([a, b]) => conforms(checker, a, k) && conforms(checker, b, v));
  }
  if (name === 'Set') {
    const [e] = checker.getTypeArguments(type as ts.TypeReference);
    return value instanceof Set && [...value].every((v) => conforms(checker, v, e));
  }
  if (name === 'Buffer') return Buffer.isBuffer(value);
  throw new Error(`no rule for the type ${checker.typeToString(type)}`);
}

it('every reply of the sweep is of the type call() gives it, on RESP2 and RESP3', async () => {
  const { checker, types } = await replyTypes();
  const mismatches: string[] = [];
  for (const resp of [2, 3] as const) {
    await using redis = new Redis({ address: [server.host, server.port], decoder: 'utf8', respVersion: resp });
    await redis.call('flushall');
    await redis.pipeline(SEED);
    for (let i = 0; i < CASES.length; i++) {
      let value: unknown;
      try {
        value = await (redis as Redis).call(...CASES[i]);
      } catch (err) {
        mismatches.push(`RESP${resp} ${CASES[i].join(' ')}: the case itself failed (${(err as Error).message})`);
        continue;
      }
      const type = types.get(`c${i}_${resp}`)!;
      if (!conforms(checker, value, type)) {
        mismatches.push(`RESP${resp} ${CASES[i].join(' ')}: ${JSON.stringify(value, (_, v) => (v instanceof Map ? ['Map', [...v]] : v instanceof Set ? ['Set', [...v]] : typeof v === 'bigint' ? `${v}n` : v))} is not ${checker.typeToString(type)}`);
      }
    }
  }
  expect(mismatches).toEqual([]);
}, 60_000);
