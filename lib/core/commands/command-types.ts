import type { CallSettings } from '../options.js';
import type { CommandArg } from '../resp/types.js';

/*
 * The vocabulary of the generated command table (command-table.generated.ts): short names,
 * because the table spells them a few thousand times.
 */

/** A key. */
export type K = CommandArg;
/** A value, or an argument the table types loosely (optional tokens and what follows them). */
export type A = CommandArg;
/** An integer argument: a number, a bigint or an integer's decimal text. */
export type I = number | bigint | `${bigint}`;
/**
 * A double argument: a number or its text, `inf` forms, and the exclusive `(` form that score
 * ranges (ZRANGEBYSCORE, ZCOUNT, ...) accept.
 */
export type F = number | `${number}` | `(${number}` | `${'' | '('}${'' | '+' | '-'}inf`;
/**
 * The trailing per-call options object (`CallOptions`, with `'masters'` kept apart from other
 * endpoint strings so that a call's reply type can tell a fan-out).
 */
export interface O extends CallSettings {
  endpoint?: 'masters' | (string & {}) | readonly [host: string, port: number];
}

/** A constant simple string (`'OK'`): that literal where the decoder keeps ASCII as is, else the decoder's string type. */
export type Lit<S, L extends boolean, T extends string> = L extends true ? T : S;
/** An integer reply whose value a user sets (INCR, TTL, ...): past 2^53 the decoder gives a bigint. */
export type Wide = number | bigint;
/** A double: RESP3 sends a double (a number), RESP2 its text (a bulk string). */
export type Dbl<S, P> = P extends 3 ? number : P extends 2 ? S : number | S;
/** A map: RESP3 sends a map, RESP2 a flat array of keys and values. */
export type MapR<P, Key, V> = P extends 3 ? Map<Key, V> : P extends 2 ? (Key | V)[] : Map<Key, V> | (Key | V)[];
/** A set (SMEMBERS, SINTER, ...): RESP3 sends a set, RESP2 an array. */
export type SetR<P, T> = P extends 3 ? Set<T> : P extends 2 ? T[] : Set<T> | T[];
/** Pairs (members WITHSCORES, fields WITHVALUES): RESP3 nests each pair, RESP2 flattens them. */
export type Pairs<P, X, Y> = P extends 3 ? [X, Y][] : P extends 2 ? (X | Y)[] : [X, Y][] | (X | Y)[];
/** A map that RESP2 sends as an array of [key, value] pairs (XREAD's streams). */
export type MapPairs<P, Key, V> = P extends 3 ? Map<Key, V> : P extends 2 ? [Key, V][] : Map<Key, V> | [Key, V][];
/** A list that RESP3 may send as a set (flags and the like in COMMAND INFO, ACL GETUSER, …). */
export type ListOrSet<P, T> = P extends 2 ? T[] : T[] | Set<T>;
