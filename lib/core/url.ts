import type { RedisOptions } from './options.js';
import { DEFAULT_PORT, DEFAULT_SENTINEL_PORT, KNOWN_OPTIONS } from './options.js';
import type { OptionName } from './options/table.js';
import { queryOptionValue } from './options/url-query.js';

/**
 * Parses the URL forms the seed documents, plus sentinel:
 *   redis://[[user:]password@]host[:port][,host2[:port2]...][/db][?option=value...]
 *   rediss:// and ssl://                (TLS)
 *   unix://[[user:]password@]/path/to.sock[?db=N&...]   and redis-socket://
 *   redis+sentinel://[[user:]password@]s1:p1,s2:p2/masterName[/db][?...]   (and rediss+sentinel://)
 * Query parameters are any constructor option, camelCase or the seed's snake_case, typed by
 * the option's row of the options table (options/url-query.ts).
 * Hand-written because WHATWG URL cannot hold host lists.
 */
export function parseRedisUrl(url: string): RedisOptions {
  if (typeof url !== 'string') throw new TypeError(`Redis URL must be a string, got ${typeof url}`);
  // No message below quotes any part of the URL: a mis-split URL puts password text anywhere.
  const schemeEnd = url.indexOf('://');
  if (schemeEnd === -1) throw new TypeError('Redis URL must start with a scheme such as redis://');
  const scheme = url.slice(0, schemeEnd).toLowerCase();
  let rest = url.slice(schemeEnd + 3);

  const options: Record<string, unknown> = {};
  // The userinfo ends at the LAST '@' of the URL, so a password may hold '@', ':', '/', '?'
  // and '#' unencoded (a common mistake that must not leak the password into an error).
  // The price: an '@' in a query value must be written %40.
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    const pass = colon === -1 ? undefined : userinfo.slice(colon + 1);
    if (colon === -1) {
      // redis://secret@host is a password alone, as redis-cli and the seed read it.
      if (user) options.password = decodePart(user, 'password');
    } else {
      if (user) options.username = decodePart(user, 'username');
      if (pass) options.password = decodePart(pass, 'password');
    }
  }

  let query = '';
  const q = rest.indexOf('?');
  if (q !== -1) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const hash = query.indexOf('#');
  if (hash !== -1) query = query.slice(0, hash);

  switch (scheme) {
    case 'unix':
    case 'redis-socket': {
      const path = decodePart(rest, 'socket path');
      // `unix:///` would name the root directory: no socket lives there.
      if (path === '' || /^\/*$/.test(path)) throw new TypeError('Unix socket URL needs a socket path, e.g. unix:///tmp/redis.sock');
      options.address = path;
      options.socketFactory = 'unix';
      break;
    }
    case 'redis':
    case 'rediss':
    case 'ssl':
    case 'redis+sentinel':
    case 'rediss+sentinel': {
      const sentinel = scheme.endsWith('+sentinel');
      const slash = rest.indexOf('/');
      const hostPart = slash === -1 ? rest : rest.slice(0, slash);
      const path = slash === -1 ? [] : rest.slice(slash + 1).split('/').filter(Boolean);
      const hosts = parseHostList(hostPart, sentinel ? DEFAULT_SENTINEL_PORT : DEFAULT_PORT);
      if (hosts.length === 1 && !sentinel) options.address = hosts[0];
      else if (hosts.length > 0) options.addresses = hosts;
      if (sentinel) {
        options.poolFactory = 'sentinel';
        if (path[0]) options.sentinelMaster = decodePart(path.shift()!, 'master name');
      }
      if (path[0] !== undefined) options.database = parseDatabase(path[0]);
      if (scheme === 'rediss' || scheme === 'ssl' || scheme === 'rediss+sentinel') options.socketFactory = 'ssl';
      break;
    }
    default:
      throw new TypeError('Unsupported Redis URL scheme (expected redis://, rediss://, ssl://, unix://, redis-socket://, redis+sentinel:// or rediss+sentinel://)');
  }

  let n = 0;
  for (const pair of query.split('&')) {
    n++;
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decodePart(eq === -1 ? pair : pair.slice(0, eq), 'query parameter name');
    const value = eq === -1 ? '' : decodePart(pair.slice(eq + 1).replace(/\+/g, ' '), 'query parameter value');
    const key = rawKey === 'db' ? 'database' : snakeToCamel(rawKey);
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`Redis URL query parameter number ${n} is not a known option`);
    options[key] = queryOptionValue(key as OptionName, value);
  }
  return options as RedisOptions;
}

/** decodeURIComponent whose error names the part, never its text. */
function decodePart(text: string, part: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TypeError(`Redis URL has an invalid percent-encoding in its ${part}`);
  }
}

function parseHostList(part: string, defaultPort: number): [string, number][] {
  if (!part) return [];
  return part.split(',').map((entry, i) => {
    let host: string;
    let portText: string | undefined;
    if (entry.startsWith('[')) {
      const close = entry.indexOf(']');
      if (close === -1) throw new TypeError('Redis URL has an unterminated IPv6 address');
      host = entry.slice(1, close);
      portText = entry[close + 1] === ':' ? entry.slice(close + 2) : undefined;
    } else {
      const colon = entry.lastIndexOf(':');
      host = colon === -1 ? entry : entry.slice(0, colon);
      portText = colon === -1 ? undefined : entry.slice(colon + 1);
    }
    const port = portText === undefined || portText === '' ? defaultPort : /^\d+$/.test(portText) ? Number(portText) : NaN;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Redis URL has an invalid port (host ${i + 1} of the host list; a port is a number from 0 to 65535)`);
    }
    return [decodePart(host, 'host') || 'localhost', port];
  });
}

function parseDatabase(text: string): number {
  const db = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(db)) throw new RangeError('Redis URL has an invalid database number in its path');
  return db;
}

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
