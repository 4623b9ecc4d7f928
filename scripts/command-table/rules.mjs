/*
 * Where Redis's command JSON does not say what the wire carries: each table names the
 * commands a mapping rule of replies.mjs applies to, with the server code that decides it.
 * Checked against a real server by test/core/typed-replies-sweep.test.ts.
 */

/** Integer replies that carry a value a user sets (a counter, a bit field, an expiry): they can pass 2^53. */
export const WIDE_INTEGERS = new Set([
  'incr', 'incrby', 'decr', 'decrby', 'hincrby', 'bitfield', 'bitfield_ro',
  'ttl', 'pttl', 'expiretime', 'pexpiretime', 'httl', 'hpttl', 'hexpiretime', 'hpexpiretime',
]);

/**
 * `uniqueItems` in a schema says "no duplicates", not "RESP3 set": ZRANGE and HKEYS carry it
 * and reply with arrays. Only these commands send the RESP3 set type (addReplySetLen in t_set.c).
 */
export const RESP3_SETS = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'spop']);

/**
 * Introspection replies with lists that RESP3 sends as sets (flags, ACL categories, tips, key
 * specs: addReplyCommandFlags and friends in server.c, acl.c, networking.c, functions.c) but
 * that their schemas describe as plain arrays: every list in them is typed "array, or a set on RESP3".
 */
export const RESP3_LOOSE_SETS = new Set(['command', 'command|info', 'command|docs', 'acl|getuser', 'client|trackinginfo', 'function|list']);

/** Maps that RESP2 sends as an array of [key, value] pairs, not flat (XREAD's streams, t_stream.c). */
export const RESP2_PAIRED_MAPS = new Set(['xread', 'xreadgroup']);

/** Where reply_schema disagrees with what the server sends. */
export const SCHEMA_FIXES = {
  // Both counts are integers (`waitaofCommand` replies with two addReplyLongLong).
  waitaof: { type: 'array', items: [{ type: 'integer' }, { type: 'integer' }] },
  // An empty source list gives a null, as RPOPLPUSH says and LMOVE does not (`lmoveGenericCommand`).
  lmove: { oneOf: [{ type: 'string' }, { type: 'null' }] },
};
