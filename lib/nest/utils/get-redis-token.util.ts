import { SETTING_NAMES, validateViewSettings } from '../../core/index.js';
import { DEFAULT_REDIS_NAME, REDIS_OPTIONS_TOKEN_PREFIX, REDIS_TOKEN_PREFIX } from '../justredis.constants.js';
import type { RedisViewSettings } from '../justredis.interfaces.js';
import { registerView } from './redis-views.registry.js';

/**
 * The injection token of a named client, or of a view of it with other settings:
 * `getRedisToken()`, `getRedisToken('cache')`, `getRedisToken({ database: 1 })`,
 * `getRedisToken('cache', { decoder: null })`. The same arguments always give the same
 * token (settings are put in a canonical order), so it can be used with `@Inject()`,
 * `moduleRef.get()` and `Test.createTestingModule(...).overrideProvider()`.
 *
 * Every token handed out is also recorded, so the module provides it wherever the file
 * that asked for it sits in the import graph.
 */
export function getRedisToken(name?: string, settings?: RedisViewSettings): string;
export function getRedisToken(settings?: RedisViewSettings): string;
export function getRedisToken(nameOrSettings?: string | RedisViewSettings, maybeSettings?: RedisViewSettings): string {
  const [name, settings] = splitNameAndSettings(nameOrSettings, maybeSettings, 'getRedisToken');
  const canonical = canonicalSettings(settings);
  const token = canonical === '' ? REDIS_TOKEN_PREFIX + name : `${REDIS_TOKEN_PREFIX}${name}[${canonical}]`;
  if (canonical !== '') registerView({ name, token, settings: settings! });
  return token;
}

/** @internal The token of the options `forRootAsync` resolves for a name. */
export function getRedisOptionsToken(name: string = DEFAULT_REDIS_NAME): string {
  return REDIS_OPTIONS_TOKEN_PREFIX + name;
}

/** @internal `(name?, settings?)` or `(settings?)`, validated. */
export function splitNameAndSettings(
  nameOrSettings: string | RedisViewSettings | undefined,
  maybeSettings: RedisViewSettings | undefined,
  where: string,
): [string, RedisViewSettings | undefined] {
  let name: unknown = DEFAULT_REDIS_NAME;
  let settings: unknown = maybeSettings;
  if (typeof nameOrSettings === 'object' && nameOrSettings !== null) {
    if (maybeSettings !== undefined) throw new TypeError(`${where}(settings) takes no second argument; use ${where}(name, settings)`);
    settings = nameOrSettings;
  } else if (nameOrSettings !== undefined) {
    name = nameOrSettings;
  }
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${where}() client name must be a non-empty string`);
  if (settings !== undefined) checkViewSettings(settings, where);
  return [name, settings as RedisViewSettings | undefined];
}

/** Core checks the settings; a decorator's bad argument is a TypeError, whatever the check found. */
function checkViewSettings(settings: unknown, where: string): void {
  try {
    validateViewSettings(settings, where);
  } catch (err) {
    if (err instanceof RangeError) throw new TypeError(`${where}() setting: ${err.message}`, { cause: err });
    throw err;
  }
}

/** `attributes=true,database=1,decoder=null`: the given keys, sorted; '' when none. */
function canonicalSettings(settings: RedisViewSettings | undefined): string {
  if (settings === undefined) return '';
  const parts: string[] = [];
  for (const key of SETTING_NAMES) {
    const value = settings[key];
    if (value !== undefined) parts.push(`${key}=${value === null ? 'null' : String(value)}`);
  }
  return parts.join(',');
}
