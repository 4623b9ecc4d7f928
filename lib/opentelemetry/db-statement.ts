import type { CommandArg } from '../core/index.js';

/** Turns a command into `db.query.text`. `args` are the arguments after the name, already redacted. */
export type DbStatementSerializer = (command: string, args: readonly CommandArg[]) => string;

/** What a command's arguments are, for the default serializer: which are kept, which become `?`. */
type Shape =
  /** The first `n` arguments kept (keys, subcommands, options), the rest hidden. `Infinity`: all kept. */
  | number
  /** `key field value field value …` (HSET): key and fields kept, values hidden. */
  | 'key-pairs'
  /** `key value key value …` (MSET): keys kept, values hidden. */
  | 'pairs'
  /** `script numkeys key… arg…` (EVAL, FCALL): script hidden, numkeys and keys kept, args hidden. */
  | 'script';

const ALL = Infinity;

/**
 * One table for every command the default serializer knows. Commands whose arguments are
 * all keys, counts and options keep them; commands that carry values keep what comes
 * before the first value; anything unknown (modules, new commands) hides every argument,
 * since a serializer that guesses wrong leaks data. Facts on which commands carry values
 * follow `@opentelemetry/redis-common`'s serializer; the table is our own.
 */
const SHAPES = new Map<string, Shape>();
const define = (shape: Shape, names: string) => {
  for (const name of names.split(' ')) SHAPES.set(name, shape);
};
define(0, 'echo auth hello migrate');
define(1, 'set setnx setex psetex getset append setrange lpush rpush lpushx rpushx sadd srem smove zadd zincrby zrem pfadd publish spublish xadd lrem lpos sismember smismember zscore zmscore zrank zrevrank geoadd geopos geodist acl config');
define(2, 'lset linsert hsetnx hincrbyfloat');
define('key-pairs', 'hset hmset');
define('pairs', 'mset msetnx');
define('script', 'eval eval_ro evalsha evalsha_ro fcall fcall_ro');
define(
  ALL,
  'get getdel getex mget del unlink exists touch type ttl pttl expire pexpire expireat pexpireat persist expiretime pexpiretime rename renamenx copy move dump keys scan randomkey dbsize ' +
    'incr incrby incrbyfloat decr decrby strlen getrange substr lcs bitcount bitpos getbit ' +
    'hget hmget hgetall hdel hexists hkeys hvals hlen hstrlen hincrby hrandfield hscan ' +
    'llen lrange lindex lpop rpop rpoplpush lmove blpop brpop blmove lmpop blmpop ltrim ' +
    'scard smembers srandmember spop sinter sinterstore sintercard sunion sunionstore sdiff sdiffstore sscan ' +
    'zcard zcount zrange zrangebyscore zrevrange zrevrangebyscore zrangebylex zlexcount zpopmin zpopmax bzpopmin bzpopmax zmpop bzmpop zremrangebyrank zremrangebyscore zscan zrangestore zunion zunionstore zinter zinterstore zdiff zdiffstore ' +
    'xlen xrange xrevrange xread xreadgroup xack xdel xtrim xpending xclaim xautoclaim xinfo xgroup ' +
    'pfcount pfmerge geosearch georadius georadiusbymember geohash ' +
    'ping info time client cluster command memory object slowlog latency lastsave role flushall flushdb wait waitaof watch unwatch multi exec discard select swapdb readonly readwrite script function subscribe unsubscribe psubscribe punsubscribe ssubscribe sunsubscribe',
);

/**
 * The default `db.query.text`: the command name and the arguments that name what it works
 * on (keys, fields, subcommands, options), every value replaced by `?`.
 * `SET user:1 ?`, `HSET user:1 name ? age ?`, `MGET a b`, `EVALSHA ? 1 key ?`.
 */
export const defaultDbStatementSerializer: DbStatementSerializer = (command, args) => {
  if (args.length === 0) return command;
  const shape = SHAPES.get(command.toLowerCase()) ?? 0;
  const out: string[] = [command];
  for (let i = 0; i < args.length; i++) out.push(keep(shape, args, i) ? text(args[i]) : '?');
  return out.join(' ');
};

function keep(shape: Shape, args: readonly CommandArg[], i: number): boolean {
  switch (shape) {
    case 'key-pairs':
      return i === 0 || i % 2 === 1;
    case 'pairs':
      return i % 2 === 0;
    case 'script': {
      if (i === 0) return false;
      if (i === 1) return true;
      const numkeys = Number(text(args[1]));
      return Number.isInteger(numkeys) && i < 2 + numkeys;
    }
    default:
      return i < shape;
  }
}

function text(arg: CommandArg): string {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'number' || typeof arg === 'bigint') return String(arg);
  return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('utf8');
}
