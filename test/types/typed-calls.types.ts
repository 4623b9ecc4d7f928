/*
 * Type tests for typed calls: compiled (never run) by `npm run typecheck` and by
 * test/types/typed-calls.test.ts (`tsc -p test/types`). Each `Expect<Equals<…>>` fails to
 * compile when the type differs; each `@ts-expect-error` fails when its line compiles.
 */
import { InjectRedis, Redis, RedisValue, type Connection, type PushConnection, type CallSettings, type CommandArg, type RedisOptions, type ReplyDecoder } from 'nestjs-justredis';

type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Reply<T> = Awaited<T>;

declare const utf8: Redis<'utf8'>;
declare const utf8r3: Redis<'utf8', 3>;
declare const raw: Redis<null>;
declare const raw3: Redis<null, 3>;
declare const hex: Redis<'hex'>;
declare const either: Redis<'utf8', -1>;
declare const untyped: Redis;
declare const keys: string[];

export async function inference(): Promise<void> {
  // The constructor infers the decoder and protocol; absent ones are null (Buffers) and 2.
  const a = new Redis({ decoder: 'utf8', respVersion: 3 });
  type _a = Expect<Equals<typeof a, Redis<'utf8', 3>>>;
  const b = new Redis({ address: ['127.0.0.1', 6379] });
  type _b = Expect<Equals<typeof b, Redis<null, 2>>>;
  const c = new Redis();
  type _c = Expect<Equals<typeof c, Redis<null, 2>>>;
  const d = new Redis({ decoder: 'utf8', attributes: true });
  type _d = Expect<Equals<Reply<ReturnType<typeof d.call<'get', ['k']>>>, RedisValue>>;
  // Options from a URL, or an options variable, say nothing at compile time: untyped.
  const e = Redis.fromUrl('redis://localhost?decoder=utf8');
  type _e = Expect<Equals<typeof e, Redis>>;
  const options: RedisOptions = { decoder: 'utf8' };
  const f = new Redis(options);
  type _f = Expect<Equals<typeof f, Redis>>;
  // Callbacks in options keep their parameter types.
  new Redis({ natMap: (host, port) => [host.toUpperCase(), port + 1] });
  // @ts-expect-error a misspelt option
  new Redis({ decoder: 'utf8', conectTimeout: 5 });
  // @ts-expect-error not a decoder
  new Redis({ decoder: 'utf9' });
}

export async function replies(): Promise<void> {
  // Strings for text decoders, Buffers for null; null where the schema allows it.
  type _get = Expect<Equals<Reply<ReturnType<typeof utf8.call<'get', ['k']>>>, string | null>>;
  const g = await raw.call('get', 'k');
  type _getRaw = Expect<Equals<typeof g, Buffer | null>>;
  // Simple-string constants stay literal where the decoder keeps ASCII.
  const ok = await utf8.call('mset', 'a', '1');
  type _ok = Expect<Equals<typeof ok, 'OK'>>;
  const okHex = await hex.call('mset', 'a', '1');
  type _okHex = Expect<Equals<typeof okHex, string>>;
  const okRaw = await raw.call('mset', 'a', '1');
  type _okRaw = Expect<Equals<typeof okRaw, Buffer>>;
  // Integers; values a user sets (INCR family, TTLs) may pass 2^53 and come as bigint.
  const n = await utf8.call('exists', 'a', 'b');
  type _n = Expect<Equals<typeof n, number>>;
  const i = await utf8.call('incr', 'counter');
  type _i = Expect<Equals<typeof i, number | bigint>>;
  // Maps: RESP2 flat arrays, RESP3 Maps; sets: RESP2 arrays, RESP3 Sets; doubles: RESP2 text.
  const h2 = await utf8.call('hgetall', 'h');
  type _h2 = Expect<Equals<typeof h2, string[]>>;
  const h3 = await utf8r3.call('hgetall', 'h');
  type _h3 = Expect<Equals<typeof h3, Map<string, string>>>;
  const hRaw3 = await raw3.call('hgetall', 'h');
  type _hRaw3 = Expect<Equals<typeof hRaw3, Map<Buffer, Buffer>>>;
  const s2 = await utf8.call('smembers', 's');
  type _s2 = Expect<Equals<typeof s2, string[]>>;
  const s3 = await utf8r3.call('smembers', 's');
  type _s3 = Expect<Equals<typeof s3, Set<string>>>;
  const z2 = await utf8.call('zscore', 'z', 'm');
  type _z2 = Expect<Equals<typeof z2, string | null>>;
  const z3 = await utf8r3.call('zscore', 'z', 'm');
  type _z3 = Expect<Equals<typeof z3, number | null>>;
  // respVersion -1 (negotiated): either shape.
  const hEither = await either.call('hgetall', 'h');
  type _hEither = Expect<Equals<typeof hEither, Map<string, string> | string[]>>;
  // Any letter case; subcommands by their container's first argument.
  const upper = await utf8.call('GET', 'k');
  type _upper = Expect<Equals<typeof upper, string | null>>;
  const config = await utf8r3.call('config', 'get', 'maxmemory');
  type _config = Expect<Equals<typeof config, Map<string, string>>>;
  const list = await utf8.call('CLIENT', 'LIST');
  type _list = Expect<Equals<typeof list, string>>;
}

export async function perCall(): Promise<void> {
  // A per-call decoder types that call's reply.
  const g = await utf8.call('get', 'k', { decoder: null });
  type _g = Expect<Equals<typeof g, Buffer | null>>;
  const s = await raw.call('get', 'k', { decoder: 'utf8' });
  type _s = Expect<Equals<typeof s, string | null>>;
  const w = await utf8.call('get', 'k', { attributes: true });
  type _w = Expect<Equals<typeof w, RedisValue>>;
  // Options in a variable (decoder and attributes may be there or not): every reply they allow.
  const options: CallSettings = { decoder: null };
  const either = await utf8.call('get', 'k', options);
  type _either = Expect<Equals<typeof either, string | Buffer | RedisValue | null>>;
  const view = utf8.modify(options);
  type _view = Expect<Equals<typeof view, Redis<ReplyDecoder, 2, boolean>>>;
  // A fan-out to every master: one reply (or error) per master.
  const sizes = await utf8.call('dbsize', { endpoint: 'masters' });
  type _sizes = Expect<Equals<typeof sizes, Map<string, number | Error>>>;
  const one = await utf8.call('dbsize', { endpoint: '127.0.0.1:7000' });
  type _one = Expect<Equals<typeof one, number>>;
}

export async function views(): Promise<void> {
  const bytes = utf8.modify({ decoder: null });
  type _bytes = Expect<Equals<typeof bytes, Redis<null, 2>>>;
  const db1 = utf8r3.modify({ database: 1 });
  type _db1 = Expect<Equals<typeof db1, Redis<'utf8', 3>>>;
  const wrapped = utf8.modify({ attributes: true });
  type _wrapped = Expect<Equals<Reply<ReturnType<typeof wrapped.call<'get', ['k']>>>, RedisValue>>;
  // Connections carry the client's types, and their own settings.
  const conn = await utf8r3.connection();
  type _conn = Expect<Equals<typeof conn, Connection<'utf8', 3>>>;
  const h = await conn.call('hgetall', 'h');
  type _h = Expect<Equals<typeof h, Map<string, string>>>;
  const rawConn = await utf8.connection({ decoder: null });
  const v = await rawConn.call('get', 'k');
  type _v = Expect<Equals<typeof v, Buffer | null>>;
  // A push connection from a typed client checks arguments (call resolves on write: no reply).
  const push = await utf8.connection({ push: true });
  type _push = Expect<Equals<typeof push, PushConnection<'utf8'>>>;
  const written = await push.call('subscribe', 'news', 'sports');
  type _written = Expect<Equals<typeof written, void>>;
  // @ts-expect-error PING takes at most one message
  await push.call('ping', 'a', 'b');
  const untypedPush = await untyped.connection({ push: true });
  await untypedPush.call('ping', 'a', 'b');
  const connView = conn.modify({ decoder: null });
  type _connView = Expect<Equals<typeof connView, Connection<null, 3>>>;
  // customCommandClass methods stay on the typed client and its views.
  class Commands {
    constructor(private readonly base: Redis) {}
    hello(): Promise<string> {
      return this.base.call('echo', 'hello');
    }
  }
  const custom = new Redis({ decoder: 'utf8', customCommandClass: Commands });
  const greeting = await custom.modify({ database: 1 }).hello();
  type _greeting = Expect<Equals<typeof greeting, string>>;
  const customGet = await custom.call('get', 'k');
  type _customGet = Expect<Equals<typeof customGet, string | null>>;
  // A typed client goes where code takes an untyped one; an untyped one (fromUrl) is typed by a cast.
  const plain: Redis = utf8r3;
  const typedAgain = untyped as Redis<'utf8'>;
  void plain;
  void typedAgain;
}

export async function argumentChecks(): Promise<void> {
  // @ts-expect-error GET takes one key: too few
  await utf8.call('get');
  // @ts-expect-error GET takes one key: too many
  await utf8.call('get', 'a', 'b');
  // @ts-expect-error EXPIRE's seconds is an integer
  await utf8.call('expire', 'k', 'soon');
  // @ts-expect-error a key is a string, Buffer or number, not an object in its place
  await utf8.call('get', [1]);
  // @ts-expect-error ZSCORE needs a member
  await utf8.call('zscore', 'z');
  // @ts-expect-error not a subcommand of CLIENT
  await utf8.call('client', 'nosuch');
  // Numbers as numbers or numeric text; spreads for variadic commands.
  await utf8.call('expire', 'k', '10');
  await utf8.call('zcount', 'z', '(1', '+inf');
  await utf8.call('del', ...keys);
  const values = await utf8.call('mget', ...keys);
  type _values = Expect<Equals<typeof values, (string | null)[]>>;
  // A SCAN cursor goes back as the server sent it.
  const [cursor] = await utf8.call('scan', '0');
  const [next, found] = await utf8.call('scan', cursor, 'MATCH', 'user:*');
  type _scan = Expect<Equals<[typeof next, typeof found], [string, string[]]>>;
  // Unknown commands (modules, newer servers) are accepted and reply any.
  const j = await utf8.call('json.get', 'doc', '$');
  type _j = Expect<Equals<typeof j, any>>;
  // A name known only at run time: any.
  const name: string = 'get';
  const dynamic = await utf8.call(name, 'k');
  type _dynamic = Expect<Equals<typeof dynamic, any>>;
}

export async function scans(): Promise<void> {
  for await (const key of utf8.scanIterator({ match: 'user:*' })) {
    type _key = Expect<Equals<typeof key, string>>;
  }
  for await (const pair of raw3.zscanIterator('z')) {
    // Element by element: Equals<> on a tuple of Buffers from a conditional type reports a false mismatch.
    type _member = Expect<Equals<(typeof pair)[0], Buffer>>;
    type _score = Expect<Equals<(typeof pair)[1], Buffer>>;
    type _length = Expect<Equals<(typeof pair)['length'], 2>>;
  }
  for await (const key of untyped.scanIterator()) {
    type _any = Expect<Equals<typeof key, any>>;
  }
}

export async function pipelines(): Promise<void> {
  // A tuple, one typed reply per command, without `as const`.
  const r = await utf8.pipeline([['set', 'a', '1'], ['get', 'a'], ['incr', 'n'], ['hgetall', 'h']]);
  type _r = Expect<Equals<typeof r, ['OK' | string | null, string | null, number | bigint, string[]]>>;
  const r3 = await utf8r3.pipeline([['hgetall', 'h'], ['get', 'a', { decoder: null }]]);
  type _r3 = Expect<Equals<typeof r3, [Map<string, string>, Buffer | null]>>;
  const rawPipe = await utf8.pipeline([['get', 'a']], { decoder: null });
  type _rawPipe = Expect<Equals<typeof rawPipe, [Buffer | null]>>;
  // Each command's arguments are checked as call() checks them.
  // @ts-expect-error GET needs its key
  await utf8.pipeline([['get'], ['get', 'a']]);
  // @ts-expect-error EXPIRE's seconds is an integer
  await utf8.pipeline([['expire', 'k', 'soon']]);
  // Commands built at run time: replies any.
  const built: CommandArg[][] = [['get', 'a']];
  const anyReplies = await utf8.pipeline(built);
  type _anyReplies = Expect<Equals<typeof anyReplies, any[]>>;
}

export async function untypedClient(): Promise<void> {
  // `Redis` with no type arguments: replies any, arguments unchecked (as before typed calls).
  const v = await untyped.call('get', 'a', 'b', 'c');
  type _v = Expect<Equals<typeof v, any>>;
  const spread: unknown[] = ['get', 'a'];
  await untyped.call(...spread);
  const p = await untyped.pipeline([['get', 'a']]);
  type _p = Expect<Equals<typeof p, any[]>>;
  const conn = await untyped.connection();
  type _conn = Expect<Equals<typeof conn, Connection>>;
  const c = await conn.call('get', 'a');
  type _c = Expect<Equals<typeof c, any>>;
}

/** The Nest side: an injected client typed by its parameter. */
export class Counter {
  constructor(
    @InjectRedis() private readonly redis: Redis<'utf8'>,
    @InjectRedis('cache', { decoder: null }) private readonly raw: Redis<null, 3>,
  ) {}

  async read(): Promise<void> {
    const v = await this.redis.call('get', 'counter');
    type _v = Expect<Equals<typeof v, string | null>>;
    const h = await this.raw.call('hgetall', 'h');
    type _h = Expect<Equals<typeof h, Map<Buffer, Buffer>>>;
  }
}
