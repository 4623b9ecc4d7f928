import type { CommandArg } from '../resp/types.js';

/** What replaces a credential in published arguments. */
export const REDACTED = '[REDACTED]';

/** CONFIG SET parameters whose value is a secret. */
const SECRET_CONFIG = new Set(['requirepass', 'masterauth', 'tls-key-file-pass', 'tls-client-key-file-pass']);
/** SENTINEL SET options whose value is a secret. */
const SECRET_SENTINEL = new Set(['auth-pass']);

/**
 * The arguments (without the command name) of `name`, with every credential replaced by
 * `[REDACTED]`: AUTH, HELLO … AUTH user pass, MIGRATE … AUTH pass / AUTH2 user pass,
 * ACL SETUSER password rules (`>pw`, `<pw`, `#hash`, `!hash`), CONFIG SET requirepass /
 * masterauth, SENTINEL SET … auth-pass. Usernames go too: they are half a credential.
 * Returns a new array; the caller's command is never changed.
 */
export function redactedArgs(name: string, command: readonly CommandArg[]): CommandArg[] {
  const args = command.slice(1);
  switch (name) {
    case 'auth':
      args.fill(REDACTED);
      break;
    case 'hello':
    case 'migrate':
      for (let i = 0; i < args.length; i++) {
        const token = lower(args[i]);
        if (token === 'auth') redactNext(args, i, name === 'hello' ? 2 : 1);
        else if (token === 'auth2') redactNext(args, i, 2);
        if (token === 'keys' && name === 'migrate') break;
      }
      break;
    case 'acl':
      if (lower(args[0]) === 'setuser') {
        for (let i = 2; i < args.length; i++) {
          const first = text(args[i]).charAt(0);
          if (first === '>' || first === '<' || first === '#' || first === '!') args[i] = REDACTED;
        }
      }
      break;
    case 'config':
      if (lower(args[0]) === 'set') {
        for (let i = 1; i + 1 < args.length; i += 2) if (SECRET_CONFIG.has(lower(args[i]))) args[i + 1] = REDACTED;
      }
      break;
    case 'sentinel':
      if (lower(args[0]) === 'set') {
        for (let i = 2; i + 1 < args.length; i += 2) if (SECRET_SENTINEL.has(lower(args[i]))) args[i + 1] = REDACTED;
      }
      break;
  }
  return args;
}

function redactNext(args: CommandArg[], at: number, count: number): void {
  for (let j = at + 1; j <= at + count && j < args.length; j++) args[j] = REDACTED;
}

function text(arg: CommandArg | undefined): string {
  if (arg === undefined) return '';
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'number' || typeof arg === 'bigint') return String(arg);
  // Tokens are short; a long Buffer is a value, never a token worth decoding.
  return arg.length > 64 ? '' : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1');
}

function lower(arg: CommandArg | undefined): string {
  return text(arg).toLowerCase();
}
