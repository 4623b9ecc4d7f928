// Client adapters: the same few primitives for every library, so that a workload is written
// once. Each adapter imports its library lazily, so a worker process only ever loads the one
// library it measures.
//
// A handle has:
//   get(key)              -> Promise<string>  (Promise<Buffer> when opened with { buffers: true })
//   set(key, value)       -> Promise<'OK'>
//   pipelineSet(keys, v)  -> Promise<unknown[]>  one pipeline of SET keys[i] v
//   ping()                -> Promise<unknown>
//   close()               -> Promise<void>
//
// The wrappers are one-line arrow functions around the library call a user would write; they
// cost the same for every library (a monomorphic call, inlined by V8) and allocate nothing
// beyond what the library call itself allocates.
//
// `target` is { kind: 'standalone', host, port } or { kind: 'cluster', addresses: [[h, p], ...] }.
// `opts.resp` (2 | 3 | undefined) forces the protocol; undefined keeps each library's default
// (this client: RESP2; ioredis 6 and node-redis 6: RESP3). GET/SET replies are the same bytes
// in both protocols.

/** Client names, in table order. The first is ours; the others are the peers. */
export const CLIENT_NAMES = ['justredis', 'ioredis', 'ioredis-ap', 'node-redis'];
export const OURS = 'justredis';
export const PEERS = ['ioredis', 'ioredis-ap', 'node-redis'];
export const CLIENT_LABELS = {
  justredis: 'justredis (ours)',
  ioredis: 'ioredis',
  'ioredis-ap': 'ioredis autopipeline',
  'node-redis': 'node-redis',
};

async function openJustredis(target, opts) {
  const { Redis } = await import('../../dist/core/index.js');
  const base = { decoder: opts.buffers ? null : 'utf8' };
  if (opts.resp !== undefined) base.respVersion = opts.resp;
  const redis =
    target.kind === 'cluster'
      ? new Redis({ ...base, addresses: target.addresses, poolFactory: 'cluster' })
      : new Redis({ ...base, address: [target.host, target.port] });
  return {
    get: (key) => redis.call('get', key),
    set: (key, value) => redis.call('set', key, value),
    pipelineSet: (keys, value) => {
      // Built per call, as an application would: one ['set', k, v] array per command.
      const commands = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) commands[i] = ['set', keys[i], value];
      return redis.pipeline(commands);
    },
    ping: () => redis.call('ping'),
    close: () => redis.close(),
  };
}

async function openIoredis(target, opts, autoPipelining) {
  const { Redis, Cluster } = await import('ioredis');
  const common = { enableAutoPipelining: autoPipelining, maxRetriesPerRequest: 1 };
  if (opts.resp !== undefined) common.protocol = opts.resp;
  let redis;
  if (target.kind === 'cluster') {
    const { maxRetriesPerRequest, protocol, ...clusterOptions } = common;
    const redisOptions = { maxRetriesPerRequest };
    if (protocol !== undefined) redisOptions.protocol = protocol;
    redis = new Cluster(
      target.addresses.map(([host, port]) => ({ host, port })),
      { ...clusterOptions, redisOptions },
    );
  } else {
    redis = new Redis({ ...common, host: target.host, port: target.port });
  }
  redis.on('error', () => {}); // errors surface on the commands; no unhandled 'error' event
  await new Promise((resolve, reject) => {
    if (redis.status === 'ready') return resolve();
    redis.once('ready', resolve);
    redis.once('end', () => reject(new Error('ioredis: connection ended before ready')));
  });
  const get = opts.buffers ? (key) => redis.getBuffer(key) : (key) => redis.get(key);
  return {
    get,
    set: (key, value) => redis.set(key, value),
    pipelineSet: (keys, value) => {
      const pipeline = redis.pipeline();
      for (let i = 0; i < keys.length; i++) pipeline.set(keys[i], value);
      return pipeline.exec();
    },
    ping: () => redis.ping(),
    close: async () => {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

async function openNodeRedis(target, opts) {
  const { createClient, createCluster, RESP_TYPES } = await import('redis');
  const resp = opts.resp !== undefined ? { RESP: opts.resp } : {};
  let client;
  if (target.kind === 'cluster') {
    client = createCluster({
      rootNodes: target.addresses.map(([host, port]) => ({ socket: { host, port } })),
      defaults: { ...resp },
    });
  } else {
    client = createClient({ socket: { host: target.host, port: target.port }, ...resp });
  }
  client.on('error', () => {});
  await client.connect();
  const view = opts.buffers ? client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) : client;
  return {
    get: (key) => view.get(key),
    set: (key, value) => view.set(key, value),
    // node-redis has no separate pipeline object: `multi()` + `execAsPipeline()` sends the
    // queued commands without MULTI/EXEC. (The other way, Promise.all of N `set` calls which
    // node-redis auto-pipelines, is measured for every client in the `set-1000` workload.)
    pipelineSet: (keys, value) => {
      const multi = view.multi();
      for (let i = 0; i < keys.length; i++) multi.set(keys[i], value);
      return multi.execAsPipeline();
    },
    ping: () => (target.kind === 'cluster' ? view.sendCommand(undefined, true, ['PING']) : view.ping()),
    close: async () => {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    },
  };
}

/** Opens a connected client of the given library. */
export async function openClient(name, target, opts = {}) {
  switch (name) {
    case 'justredis':
      return openJustredis(target, opts);
    case 'ioredis':
      return openIoredis(target, opts, false);
    case 'ioredis-ap':
      return openIoredis(target, opts, true);
    case 'node-redis':
      return openNodeRedis(target, opts);
    default:
      throw new Error(`unknown client ${name}`);
  }
}
