import type { CallOptions, CallSettings } from './options.js';
import { SETTING_NAMES, validateCallSettings } from './options.js';
import type { CommandArg, DecodeSettings, ReplyDecoder } from './resp/types.js';

/** A trailing argument that is a plain object carries per-call options. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export const SETTING_KEYS: ReadonlySet<string> = new Set(SETTING_NAMES);
export const CALL_OPTION_KEYS: ReadonlySet<string> = new Set([...SETTING_NAMES, 'endpoint']);

/**
 * Settings for a view, as `modify()` takes them, checked by the options table. For layers
 * that record a view before they make it (the Nest injection tokens).
 */
export function validateViewSettings(settings: unknown, where: string): CallSettings {
  if (!isPlainObject(settings)) throw new TypeError(`${where}() settings must be an object such as { database: 1 }`);
  return validateCallSettings(settings, SETTING_KEYS, where);
}

/**
 * Splits `call(...args)` into the command and its trailing options object, validating the
 * options. The command itself is validated by `assertCommandArgs` afterwards.
 */
export function splitCallArgs(args: unknown[], allowed: ReadonlySet<string> = CALL_OPTION_KEYS): { command: unknown[]; options: CallOptions | undefined } {
  const n = args.length;
  if (n > 0 && isPlainObject(args[n - 1])) {
    return { command: args.slice(0, n - 1), options: validateCallSettings(args[n - 1] as Record<string, unknown>, allowed, 'call') };
  }
  return { command: args, options: undefined };
}

const settingsCache = new Map<string, DecodeSettings>();

/**
 * The shared, frozen settings object for a decoder/attributes pair: replies are decoded per
 * call, and interning keeps that from allocating an object per call.
 */
export function decodeSettings(decoder: ReplyDecoder, attributes: boolean): DecodeSettings {
  const key = `${decoder}|${attributes}`;
  let s = settingsCache.get(key);
  if (s === undefined) {
    s = Object.freeze({ decoder, attributes });
    settingsCache.set(key, s);
  }
  return s;
}

/** Settings of a view (client, `modify()` view, connection). */
export interface ViewSettings {
  readonly decode: DecodeSettings;
  readonly database: number;
}

/** A view's settings with a call's or `modify()`'s overrides applied. */
export function applySettings(base: ViewSettings, change: CallSettings | undefined): ViewSettings {
  if (change === undefined || (change.decoder === undefined && change.attributes === undefined && change.database === undefined)) return base;
  const decoder = change.decoder !== undefined ? change.decoder : base.decode.decoder;
  const attributes = change.attributes ?? base.decode.attributes;
  return { decode: decodeSettings(decoder, attributes), database: change.database ?? base.database };
}

export type Command = CommandArg[];
