import type { CommandArg } from './resp/types.js';

/**
 * What the dispatcher must know about a command before sending it: whether it may
 * run on the shared multiplexed connection, needs an exclusive one, or only works
 * on a taken connection. Decided from the command name alone (plus BLOCK for XREAD).
 */

/** Transaction commands: only on a `Connection` (their state lives on one socket). */
const TRANSACTION = new Set(['multi', 'exec', 'discard', 'watch', 'unwatch']);

/** Commands that switch a connection into push mode: only on a `PushConnection`. */
const PUSH = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'monitor']);

/**
 * Commands that change per-connection state others on a shared socket rely on: refused
 * on `call()`/`pipeline()`. SELECT would move every other caller to another database (use
 * `modify({ database })`); AUTH/RESET would switch or drop the user; HELLO with arguments the
 * protocol, user or name. Bare HELLO only reports server info and is allowed.
 */
const CONNECTION_STATE = new Set(['select', 'hello', 'reset', 'quit', 'auth']);
/** CLIENT subcommands refused on the shared path (tracking feeds the client-side cache; the rest are per-socket settings). */
const CLIENT_STATE = new Set(['reply', 'tracking', 'setname', 'no-evict', 'no-touch']);

/**
 * What a command does to the connection it runs on, as an exclusive connection's lease
 * tracks it (applied when the server's reply says it happened):
 * - `select`: the database changes to its argument;
 * - `multi`/`exec`/`discard`/`watch`/`unwatch`: transaction state;
 * - `taint`: something a release cannot cheaply or certainly restore (user, protocol, name,
 *   tracking, eviction/touch flags, cluster READONLY, a RESET), so the connection is discarded.
 */
export type StateEffect = 'select' | 'multi' | 'exec' | 'discard' | 'watch' | 'unwatch' | 'taint';

const EFFECTS = new Map<string, StateEffect>([
  ['select', 'select'], ['multi', 'multi'], ['exec', 'exec'], ['discard', 'discard'], ['watch', 'watch'], ['unwatch', 'unwatch'],
  ['reset', 'taint'], ['auth', 'taint'], ['quit', 'taint'], ['readonly', 'taint'], ['readwrite', 'taint'],
]);
const CLIENT_TAINT = new Set(['tracking', 'setname', 'no-evict', 'no-touch', 'setinfo', 'reply']);

/** The lease-relevant effect of a command, or `null` for commands that leave the connection as it was. */
export function stateEffect(name: string, args: readonly CommandArg[]): StateEffect | null {
  const effect = EFFECTS.get(name);
  if (effect !== undefined) return effect;
  if (name === 'hello') return args.length > 1 ? 'taint' : null;
  if (name === 'client') return args.length > 1 && CLIENT_TAINT.has(commandName(args[1])) ? 'taint' : null;
  return null;
}

/** CLIENT REPLY OFF/SKIP would leave replies unmatched; refused on every connection that expects replies. */
export function isClientReply(name: string, args: readonly CommandArg[]): boolean {
  return name === 'client' && args.length > 1 && commandName(args[1]) === 'reply';
}

/** Commands that may block the connection until data arrives; the index of their timeout argument from the end. */
const BLOCKING_LAST_ARG_TIMEOUT = new Set(['blpop', 'brpop', 'brpoplpush', 'blmove', 'bzpopmin', 'bzpopmax']);
const BLOCKING_FIRST_ARG_TIMEOUT = new Set(['blmpop', 'bzmpop']);
const BLOCKING_OTHER = new Set(['wait', 'waitaof']);

/**
 * Every name any check below may care about: one Set lookup lets the common command
 * (GET, SET, ...) skip all of them on the hot path.
 */
const SPECIAL = new Set([
  ...TRANSACTION, ...PUSH, ...CONNECTION_STATE, ...EFFECTS.keys(), 'client',
  ...BLOCKING_LAST_ARG_TIMEOUT, ...BLOCKING_FIRST_ARG_TIMEOUT, ...BLOCKING_OTHER, 'xread', 'xreadgroup',
]);

/** Whether the command needs any of the checks below; `false` for ordinary commands. */
export function isSpecialCommand(name: string): boolean {
  return SPECIAL.has(name);
}

/** Lower-cases a command name given as string or bytes without allocating for the common lower-case string. */
export function commandName(arg: CommandArg): string {
  if (typeof arg === 'string') {
    return arg.toLowerCase();
  }
  if (typeof arg === 'number' || typeof arg === 'bigint') return String(arg);
  return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1').toLowerCase();
}

export function isTransactionCommand(name: string): boolean {
  return TRANSACTION.has(name);
}

export function isPushCommand(name: string): boolean {
  return PUSH.has(name);
}

export function isConnectionStateCommand(name: string, args: readonly CommandArg[]): boolean {
  if (name === 'hello') return args.length > 1;
  if (CONNECTION_STATE.has(name)) return true;
  return name === 'client' && args.length > 1 && CLIENT_STATE.has(commandName(args[1]));
}

/**
 * `undefined` when the command does not block; otherwise how long the server may hold
 * it in milliseconds (`0` = forever), used to stretch `socketTimeout` for it.
 */
export function blockingTimeoutMs(name: string, args: readonly CommandArg[]): number | undefined {
  if (BLOCKING_LAST_ARG_TIMEOUT.has(name)) return secondsArg(args[args.length - 1]);
  if (BLOCKING_FIRST_ARG_TIMEOUT.has(name)) return secondsArg(args[1]);
  if (name === 'wait' || name === 'waitaof') return millisArg(args[args.length - 1]);
  if (BLOCKING_OTHER.has(name)) return 0;
  if (name === 'xread' || name === 'xreadgroup') {
    for (let i = 1; i < args.length - 1; i++) {
      const a = args[i];
      if ((typeof a === 'string' ? a.length === 5 : true) && commandName(a) === 'block') return millisArg(args[i + 1]);
      if (typeof a === 'string' && a.length === 7 && a.toLowerCase() === 'streams') break;
    }
  }
  return undefined;
}

function secondsArg(arg: CommandArg | undefined): number {
  const n = Number(arg === undefined ? 0 : typeof arg === 'string' || typeof arg === 'number' || typeof arg === 'bigint' ? arg : commandName(arg));
  return Number.isFinite(n) && n > 0 ? Math.ceil(n * 1000) : 0;
}

function millisArg(arg: CommandArg | undefined): number {
  const n = Number(arg === undefined ? 0 : typeof arg === 'string' || typeof arg === 'number' || typeof arg === 'bigint' ? arg : commandName(arg));
  return Number.isFinite(n) && n > 0 ? n : 0;
}
