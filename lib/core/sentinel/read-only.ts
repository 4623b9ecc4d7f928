import type { CommandArg } from '../resp/types.js';
import { commandName } from '../command-kinds.js';

/**
 * Commands that only read data (the server's `readonly` flag), so `readFrom: 'replica'` may
 * send them to a replica. A fixed list rather than COMMAND INFO: a sentinel setup has no
 * redirects to learn from, and a command missing here merely goes to the master, which is
 * always correct. Blocking reads (XREAD BLOCK) never come here: they take the exclusive
 * path to the master.
 */
const READ_ONLY = new Set([
  // strings and bits
  'get', 'mget', 'strlen', 'getrange', 'substr', 'lcs', 'getbit', 'bitcount', 'bitpos', 'bitfield_ro',
  // keys
  'exists', 'type', 'ttl', 'pttl', 'expiretime', 'pexpiretime', 'dump', 'object', 'scan', 'keys', 'randomkey', 'dbsize',
  'sort_ro',
  // hashes
  'hget', 'hmget', 'hgetall', 'hkeys', 'hvals', 'hlen', 'hexists', 'hstrlen', 'hrandfield', 'hscan',
  // lists
  'lrange', 'llen', 'lindex', 'lpos',
  // sets
  'smembers', 'sismember', 'smismember', 'scard', 'srandmember', 'sinter', 'sunion', 'sdiff', 'sintercard', 'sscan',
  // sorted sets
  'zrange', 'zrangebyscore', 'zrevrange', 'zrevrangebyscore', 'zrangebylex', 'zrevrangebylex', 'zcard', 'zcount',
  'zlexcount', 'zscore', 'zmscore', 'zrank', 'zrevrank', 'zrandmember', 'zscan', 'zinter', 'zunion', 'zdiff', 'zintercard',
  // streams
  'xrange', 'xrevrange', 'xlen', 'xread', 'xinfo', 'xpending',
  // geo, hyperloglog
  'geopos', 'geodist', 'geohash', 'georadius_ro', 'georadiusbymember_ro', 'geosearch', 'pfcount',
  // read-only scripts and functions
  'eval_ro', 'evalsha_ro', 'fcall_ro',
]);

export function isReadOnlyCommand(args: readonly CommandArg[]): boolean {
  return args.length > 0 && READ_ONLY.has(commandName(args[0]));
}
