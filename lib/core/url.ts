import type { Address, RedisOptions } from './options.js';
import { DEFAULT_PORT, DEFAULT_SENTINEL_PORT } from './options.js';

/**
 * Parses the URL forms the seed documents, plus sentinel:
 *   redis://[[user:]password@]host[:port][,host2[:port2]...][/db][?option=value...]
 *   rediss:// and ssl://                (TLS)
 *   unix://[[user:]password@]/path/to.sock[?db=N&...]   and redis-socket://
 *   redis+sentinel://[[user:]password@]s1:p1,s2:p2/masterName[/db][?...]   (and rediss+sentinel://)
 * Query parameters are any constructor option, camelCase or the seed's snake_case.
 * Hand-written because WHATWG URL cannot hold host lists.
 */
export function parseRedisUrl(url: string): RedisOptions {
  if (typeof url !== 'string') throw new TypeError(`Redis URL must be a string, got ${typeof url}`);
  const schemeEnd = url.indexOf('://');
  if (schemeEnd === -1) throw new TypeError('Redis URL must start with a scheme such as redis://');
  const scheme = url.slice(0, schemeEnd).toLowerCase();
  let rest = url.slice(schemeEnd + 3);

  let query = '';
  const q = rest.indexOf('?');
  if (q !== -1) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const hash = query.indexOf('#');
  if (hash !== -1) query = query.slice(0, hash);

  const options: Record<string, unknown> = {};
  // The userinfo ends at the last '@' before the path, so passwords may hold '@' when percent-encoded or not.
  const slashAt = rest.indexOf('/');
  const at = rest.lastIndexOf('@', (slashAt === -1 ? rest.length : slashAt) - 1);
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    const pass = colon === -1 ? undefined : userinfo.slice(colon + 1);
    if (colon === -1) {
      // redis://secret@host is a password alone, as redis-cli and the seed read it.
      if (user) options.password = decodeURIComponent(user);
    } else {
      if (user) options.username = decodeURIComponent(user);
      if (pass) options.password = decodeURIComponent(pass);
    }
  }

  switch (scheme) {
    case 'unix':
    case 'redis-socket': {
      if (!rest) throw new TypeError('Unix socket URL needs a path, e.g. unix:///tmp/redis.sock');
      options.address = decodeURIComponent(rest);
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
        if (path[0]) options.sentinelMaster = decodeURIComponent(path.shift()!);
      }
      if (path[0] !== undefined) options.database = parseDatabase(path[0]);
      if (scheme === 'rediss' || scheme === 'ssl' || scheme === 'rediss+sentinel') options.socketFactory = 'ssl';
      break;
    }
    default:
      throw new TypeError(`Unsupported Redis URL scheme "${scheme}://"`);
  }

  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decodeURIComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    const key = rawKey === 'db' ? 'database' : snakeToCamel(rawKey);
    options[key] = coerceQueryValue(key, value);
  }
  return options as RedisOptions;
}

function parseHostList(part: string, defaultPort: number): [string, number][] {
  if (!part) return [];
  return part.split(',').map((entry) => {
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
    const port = portText === undefined || portText === '' ? defaultPort : Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Redis URL has an invalid port "${portText}"`);
    return [decodeURIComponent(host) || 'localhost', port];
  });
}

function parseDatabase(text: string): number {
  const db = Number(text);
  if (!Number.isInteger(db) || db < 0) throw new RangeError(`Redis URL has an invalid database "${text}"`);
  return db;
}

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

const NUMERIC = new Set([
  'respVersion', 'connectRetry', 'maxConnections', 'waitTimeout', 'cutoffSize', 'database', 'connectTimeout',
  'socketTimeout', 'maxBulkLength', 'maxRedirections', 'failoverWait',
]);
const BOOLEAN = new Set(['attributes', 'tcpNodelay', 'clientSideCache']);

function coerceQueryValue(key: string, value: string): unknown {
  if (NUMERIC.has(key)) {
    const n = Number(value);
    if (value === '' || Number.isNaN(n)) throw new TypeError(`Redis URL option "${key}" must be a number`);
    return n;
  }
  if (BOOLEAN.has(key) || key === 'tcpKeepalive') {
    if (value === 'true' || value === '1' || value === 'yes' || value === '') return true;
    if (value === 'false' || value === '0' || value === 'no') return false;
    if (key === 'tcpKeepalive' && !Number.isNaN(Number(value))) return Number(value);
    throw new TypeError(`Redis URL option "${key}" must be true or false`);
  }
  if (key === 'decoder' && (value === 'null' || value === 'none' || value === '')) return null;
  if (key === 'address' || key === 'addresses' || key === 'tls' || key === 'customCommandClass' || key === 'natMap') {
    throw new TypeError(`Redis URL option "${key}" cannot be given as a query parameter`);
  }
  return value;
}
