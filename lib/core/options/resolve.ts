import { Secret } from '../secret.js';
import { checkInteger, fail, MAX_COUNT, MAX_DURATION_MS, validateAddress, validateDecoder } from './checks.js';
import type { OptionRow } from './row.js';
import { OPTION_TABLE, type OptionInputs, type OptionName, type OptionOutputs, type SettingName } from './table.js';

const ROWS = Object.entries(OPTION_TABLE) as [OptionName, OptionRow<unknown, unknown>][];

/** Every option name; `fromUrl` refuses query parameters outside it. */
export const KNOWN_OPTIONS: ReadonlySet<string> = new Set<string>(Object.keys(OPTION_TABLE));
/** The options a view, a connection or a call may change, in name order (Nest builds canonical tokens from it). */
export const SETTING_NAMES: readonly SettingName[] = ROWS.filter(([, row]) => row.setting).map(([name]) => name as SettingName).sort();

/**
 * Checks one given value against its row; returns it (copied where it is mutable) or
 * undefined when absent. Throws TypeError/RangeError that never quote the value.
 */
function checkOption(name: string, row: OptionRow<unknown, unknown>, v: unknown): unknown {
  if (v === undefined) return undefined;
  switch (row.kind) {
    case 'text':
      if (typeof v !== 'string') fail(name, 'a string', v);
      return v;
    case 'flag':
      if (typeof v !== 'boolean') fail(name, 'a boolean', v);
      return v;
    case 'integer':
      // A number given as null means "not given", as it always has.
      if (v === null) return undefined;
      if (row.unlimited && v === Infinity) return v;
      return checkInteger(name, v, row.min!, row.max!);
    case 'choice':
      // null means "not given" where there is a default to take (socketFactory has none).
      if (v === null && row.fallback !== undefined) return undefined;
      if (!row.choices!.includes(v as string | number)) {
        // Numeric choices (versions) are a range; string choices are names of a type.
        if (typeof row.choices![0] === 'number') throw new RangeError(`Option "${name}" must be ${listChoices(row.choices!)}`);
        fail(name, listChoices(row.choices!), v);
      }
      return v;
    case 'encoding':
      if (v === null) return undefined;
      if (typeof v !== 'string' || !Buffer.isEncoding(v)) fail(name, 'a Buffer encoding name', v);
      return v;
    case 'decoder':
      return validateDecoder(v, name);
    case 'address':
      return validateAddress(v, name);
    case 'addresses':
      if (!Array.isArray(v) || v.length === 0) fail(name, 'a non-empty array', v);
      return (v as unknown[]).map((a, i) => validateAddress(a, `${name}[${i}]`));
    case 'object':
      if (v === null || typeof v !== 'object') fail(name, row.expected!, v);
      return { ...v };
    case 'mapper':
      if (v === null || (typeof v !== 'object' && typeof v !== 'function')) fail(name, row.expected!, v);
      return v;
    case 'class':
      if (typeof v !== 'function') fail(name, row.expected!, v);
      return v;
    case 'keepalive':
      if (v === true) return 0;
      if (v === false) return false;
      if (v === null) return 0;
      return checkInteger(name, v, row.min!, row.max!);
    case 'cache':
      if (v === true) return { maxEntries: 10_000, ttl: undefined };
      if (v === false) return undefined;
      if (v !== null && typeof v === 'object') {
        const c = v as Record<string, unknown>;
        const maxEntries = c.maxEntries === undefined || c.maxEntries === null ? 10_000 : checkInteger('maxEntries', c.maxEntries, 1, MAX_COUNT);
        const ttl = c.ttl === undefined || c.ttl === null ? undefined : checkInteger('ttl', c.ttl, 1, MAX_DURATION_MS);
        return { maxEntries, ttl };
      }
      return fail(name, row.expected!, v);
  }
}

/** `'a', 'b' or 'c'` (numbers unquoted). */
function listChoices(choices: readonly (string | number)[]): string {
  const shown = choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c)));
  return `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

/** The setting rows alone: a small object read on every call that carries options. */
const SETTING_ROWS = Object.fromEntries(SETTING_NAMES.map((name) => [name, OPTION_TABLE[name]])) as Record<SettingName, OptionRow<unknown, unknown>>;

/**
 * One setting given to a view, a call or a connection, checked by its row; a number given
 * as null takes the row's default, as in the constructor.
 */
export function checkSetting(name: SettingName, v: unknown): unknown {
  const row: OptionRow<unknown, unknown> = SETTING_ROWS[name];
  return checkOption(name, row, v) ?? row.fallback;
}

/** Validates user options and fills in defaults. Throws TypeError/RangeError; never echoes secrets. */
export function resolveOptions(input: OptionInputs = {}): OptionOutputs {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) fail('options', 'an object', input);
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(key) && o[key] !== undefined) throw new TypeError(`Unknown option "${key}"`);
  }
  // Every given value is checked before any is used, so a derivation reads checked values only.
  const given: Record<string, unknown> = {};
  for (const [name, row] of ROWS) given[name] = checkOption(name, row, o[name]);

  const resolved: Record<string, unknown> = {};
  for (const [name, row] of ROWS) {
    if (row.inputOnly) continue;
    let value: unknown;
    if (row.derive) value = row.derive(given, resolved);
    else if (given[name] !== undefined) value = given[name];
    else value = typeof row.fallback === 'function' ? (row.fallback as (r: typeof resolved) => unknown)(resolved) : row.fallback;
    resolved[name] = row.secret && value !== undefined ? new Secret(value as string) : value;
  }
  return resolved as OptionOutputs;
}

