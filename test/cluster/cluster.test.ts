import { freePort, startRedisCluster, type RedisClusterSetup, type RedisServer } from '../../lib/testing/index.js';
import { within } from '../nest/nest-helpers.js';
import { CommunicationError, Redis, RedisError, ReplyError, PipelinedExceptions, RedisValue } from '../../lib/core/index.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import { checkServerIdentity } from 'node:tls';

let cluster: RedisClusterSetup;
let redis: Redis;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  redis = new Redis({ addresses: cluster.addresses, decoder: 'utf8' });
}, 60_000);
afterAll(async () => {
  await redis?.close();
  await cluster?.stop();
});

/** How many times `node` ran `command`, from its own INFO commandstats. */
async function calls(node: RedisServer, command: string): Promise<number> {
  const stats = await node.cli('info', 'commandstats');
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats);
  return m ? Number(m[1]) : 0;
}

function nodeAt(key: string): RedisServer {
  const node = cluster.nodes.find((n) => `${n.host}:${n.port}` === key);
  if (node === undefined) throw new Error(`no node ${key}`);
  return node;
}

/** The `host:port` of the master owning `key`, from the server itself. */
async function ownerOf(key: string): Promise<string> {
  const slot = Number(await cluster.cli('cluster', 'keyslot', key));
  const shards = await redis.call('cluster', 'slots');
  for (const [first, last, [host, port]] of shards as [number, number, [string, number]][]) {
    if (slot >= first && slot <= last) return `${host}:${port}`;
  }
  throw new Error(`slot ${slot} unserved`);
}

describe('routing', () => {
  it('detects the cluster (poolFactory auto) and routes thousands of keys across every master', async () => {
    await redis.call('flushall', { endpoint: 'masters' });
    const count = 5000;
    const sets = [];
    for (let i = 0; i < count; i++) sets.push(redis.call('set', `key:${i}`, `value:${i}`));
    expect(new Set(await Promise.all(sets))).toEqual(new Set(['OK']));
    const gets = [];
    for (let i = 0; i < count; i++) gets.push(redis.call('get', `key:${i}`));
    const values = await Promise.all(gets);
    expect(values.every((v, i) => v === `value:${i}`)).toBe(true);

    // Each master holds its share, as the servers themselves count them.
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const sizes = await Promise.all(masters.map(async (m) => Number(await m.cli('dbsize'))));
    for (const size of sizes) expect(size).toBeGreaterThan(count / 5);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(count);
    const fanned = (await redis.call('dbsize', { endpoint: 'masters' })) as Map<string, number>;
    expect([...fanned.values()].reduce((a, b) => a + b, 0)).toBe(count);
  });

  it('walks every master with scanIterator and runs scripts cached per node (EVALSHA, NOSCRIPT fallback)', async () => {
    const seen = new Set<string>();
    for await (const key of redis.scanIterator({ match: 'key:1*', count: 500 })) seen.add(key);
    const expected = Array.from({ length: 5000 }, (_, i) => `key:${i}`).filter((k) => k.startsWith('key:1'));
    expect(seen).toEqual(new Set(expected));
    const script = "return redis.call('get', KEYS[1])";
    for (let i = 0; i < 30; i++) expect(await redis.call('eval', script, 1, `key:${i}`)).toBe(`value:${i}`);
    const evalsha = await Promise.all((await cluster.masters()).map((m) => calls(m, 'evalsha')));
    expect(evalsha.reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
  });

  it('computes the same slot as the server, hash tags and binary keys included', async () => {
    const keys = ['foo', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}zap', 'a}b{c}', 'ключ', '表{标签}', 'emoji😀{x}'];
    for (const key of keys) {
      expect(hashSlot(key)).toBe(Number(await redis.call('cluster', 'keyslot', key)));
    }
    const binary = Buffer.from([0xff, 0x7b, 0x01, 0x7d, 0x00]);
    expect(hashSlot(binary)).toBe(Number(await redis.call('cluster', 'keyslot', binary)));
    await redis.call('set', binary, 'bin');
    expect(await redis.call('get', binary)).toBe('bin');
  });

  it('keeps hash-tagged keys on one node, so multi-key commands work on them', async () => {
    await redis.call('sadd', '{tag}:a', '1', '2');
    await redis.call('sadd', '{tag}:b', '2', '3');
    expect((await redis.call('sunion', '{tag}:a', '{tag}:b')).sort()).toEqual(['1', '2', '3']);
    // Without a common tag the server's own CROSSSLOT error comes back.
    const err = await redis.call('sunion', 'plain-a', 'plain-b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).code).toBe('CROSSSLOT');
  });

  it('fans out to every master, with the MOVED errors of the non-owners in the result', async () => {
    await redis.call('set', 'x', 'fanned');
    const result = (await redis.call('get', 'x', { endpoint: 'masters' })) as Map<string, unknown>;
    expect(result.size).toBe(3);
    const owner = await ownerOf('x');
    expect(result.get(owner)).toBe('fanned');
    for (const [address, value] of result) {
      if (address === owner) continue;
      expect(value).toBeInstanceOf(ReplyError);
      expect((value as ReplyError).code).toBe('MOVED');
    }
    // The call's other options hold on every node.
    const raw = (await redis.call('get', 'x', { endpoint: 'masters', decoder: null })) as Map<string, unknown>;
    expect(raw.get(owner)).toEqual(Buffer.from('fanned'));
    const info = (await redis.call('cluster', 'info', { endpoint: 'masters' })) as Map<string, string>;
    for (const text of info.values()) expect(text).toMatch(/cluster_state:ok/);
  });

  it('lists masters and replicas in endpoints()', async () => {
    const endpoints = await redis.endpoints();
    expect(endpoints.filter((e) => e.type === 'master')).toHaveLength(3);
    expect(endpoints.filter((e) => e.type === 'replica')).toHaveLength(3);
    const listed = new Set(endpoints.map((e) => `${(e.address as [string, number])[0]}:${(e.address as [string, number])[1]}`));
    expect(listed).toEqual(new Set(cluster.nodes.map((n) => `${n.host}:${n.port}`)));
  });

  it("reports topology 'cluster' once poolFactory 'auto' has connected, and the seeds it was given", async () => {
    await using fresh = new Redis({ addresses: cluster.addresses });
    expect(fresh.topology).toBeUndefined();
    await fresh.call('set', 'topology', '1');
    expect(fresh.topology).toBe('cluster');
    expect(fresh.seeds).toEqual(cluster.addresses.map(([host, port]) => `${host}:${port}`));
  });

  it('fails SELECT of a non-zero database with the server\'s own error', async () => {
    const err = await redis.modify({ database: 1 }).call('get', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as Error).message).toMatch(/SELECT is not allowed in cluster mode/);
    expect(await redis.call('get', 'x')).toBe('fanned');
  });

  it('skips seeds that are down, takes URL host lists and poolFactory "cluster"', async () => {
    const [host, port] = cluster.addresses[1];
    await using viaSeeds = new Redis({ addresses: [['127.0.0.1', 1], [host, port]], poolFactory: 'cluster', decoder: 'utf8', connectRetry: 0 });
    expect(await viaSeeds.call('get', 'x')).toBe('fanned');
    await using viaUrl = Redis.fromUrl(`redis://127.0.0.1:1,${host}:${port}?decoder=utf8&connectRetry=0`);
    expect(await viaUrl.call('get', 'x')).toBe('fanned');
    expect((await viaUrl.endpoints()).length).toBe(6);
  });

  it('rewrites announced addresses with natMap', async () => {
    const seen: string[] = [];
    await using mapped = new Redis({
      addresses: [cluster.addresses[0]],
      poolFactory: 'cluster',
      decoder: 'utf8',
      natMap: (host, port) => {
        seen.push(`${host}:${port}`);
        return ['localhost', port];
      },
    });
    expect(await mapped.call('get', 'x')).toBe('fanned');
    const hosts = new Set((await mapped.endpoints()).map((e) => (e.address as [string, number])[0]));
    expect(hosts).toEqual(new Set(['localhost']));
    expect(seen.length).toBeGreaterThanOrEqual(6);
    // The object form: 'announced host:port' → [host, port].
    const table = Object.fromEntries(cluster.nodes.map((n) => [`${n.host}:${n.port}`, ['localhost', n.port] as const]));
    await using byTable = new Redis({ addresses: [cluster.addresses[0]], poolFactory: 'cluster', decoder: 'utf8', natMap: table });
    expect(await byTable.call('get', 'x')).toBe('fanned');
    expect(new Set((await byTable.endpoints()).map((e) => (e.address as [string, number])[0]))).toEqual(new Set(['localhost']));
  });

  it('fails within 5 s, naming natMap and the unreachable address, when natMap sends a master where nothing listens', async () => {
    // The master owning 'x': without the check, a GET of it is held as if for a failover.
    const owner = await redis.connection({ key: 'x' });
    const victim = nodeAt(owner.address);
    await owner.release();
    const dead = await freePort();
    await using mapped = new Redis({
      addresses: [cluster.addresses[0]],
      poolFactory: 'cluster',
      natMap: (host, port) => (port === victim.port ? ['127.0.0.1', dead] : [host, port]),
    });
    for (const attempt of [1, 2]) {
      // Each call retries the start (the mapping may have been fixed meanwhile), each bounded the same way.
      const err = await within(mapped.call('get', 'x').catch((e: unknown) => e), 5000, `natMap failure ${attempt}`);
      expect(err).toBeInstanceOf(CommunicationError);
      expect(err).toMatchObject({ code: 'ERR_NATMAP_UNREACHABLE' });
      expect((err as Error).message).toContain(`natMap maps a cluster node to an unreachable address: 127.0.0.1:${victim.port} (as the cluster announces it) → 127.0.0.1:${dead} (`);
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
    }
  });
});

describe('routing lookups', () => {
  it('says that the key lookup (COMMAND INFO) failed, and why, instead of reporting it as the caller\'s command', async () => {
    // A user who may run GET but not COMMAND: the client cannot learn where GET's key is.
    const password = 'lookup-secret';
    for (const node of cluster.nodes) await node.cli('ACL', 'SETUSER', 'lookupless', 'on', `>${password}`, '~*', '+@all', '-command');
    await using limited = new Redis({ addresses: cluster.addresses, username: 'lookupless', password, decoder: 'utf8' });
    const err = await limited.call('get', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisError);
    expect(err).not.toBeInstanceOf(ReplyError);
    expect(err).toMatchObject({ code: 'NOPERM', cause: expect.any(ReplyError) });
    expect((err as Error).message).toMatch(/^GET not sent: looking up its keys in the server's command table \(COMMAND INFO\) failed: NOPERM .*'command\|info'/);
    expect((err as Error).message).not.toContain(password);
  });
});

describe('RESP3 and movable keys', () => {
  let r3: Redis;
  beforeAll(() => {
    r3 = new Redis({ addresses: cluster.addresses, decoder: 'utf8', respVersion: 3 });
  });
  afterAll(() => r3.close());

  it('routes by key specs read under RESP3 (maps and sets), subcommands included', async () => {
    for (let i = 0; i < 50; i++) await r3.call('set', `r3:${i}`, i);
    for (let i = 0; i < 50; i++) expect(await r3.call('get', `r3:${i}`)).toBe(String(i));
    expect(await r3.call('object', 'encoding', 'r3:7')).toBe('int');
    await r3.call('hset', 'r3:h', 'f', 'v');
    expect(await r3.call('hgetall', 'r3:h')).toEqual(new Map([['f', 'v']]));
  });

  it('routes EVAL, XREAD, ZUNION by their movable keys (RESP2 and RESP3)', async () => {
    for (const [protocol, client] of [['resp2', redis], ['resp3', r3]] as const) {
      for (let i = 0; i < 20; i++) {
        const key = `ev:${i}`;
        expect(await client.call('eval', "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", 1, key, `v${i}`)).toBe(`v${i}`);
      }
      expect(await client.call('eval', 'return 42', 0)).toBe(42);
      for (let i = 0; i < 10; i++) {
        const stream = `stream:${protocol}:${i}`;
        const id = await client.call('xadd', stream, '*', 'n', String(i));
        const read = await client.call('xread', 'COUNT', 10, 'STREAMS', stream, '0');
        const entries = read instanceof Map ? read.get(stream) : read[0][1];
        expect(entries[0][0]).toBe(id);
      }
      await client.call('zadd', `{z${protocol}}1`, 1, 'a');
      await client.call('zadd', `{z${protocol}}2`, 2, 'b');
      expect(await client.call('zunion', 2, `{z${protocol}}1`, `{z${protocol}}2`)).toEqual(['a', 'b']);
    }
  });

  it('runs a blocking XREAD on the owning node without stalling others', async () => {
    const pending = r3.call('xread', 'BLOCK', 5000, 'STREAMS', 'blocked-stream', '$');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await r3.call('get', 'r3:1')).toBe('1');
    await redis.call('xadd', 'blocked-stream', '*', 'k', 'v');
    const read = await pending;
    expect(read.get('blocked-stream')[0][1]).toEqual(['k', 'v']);
    // A blocking list pop too.
    const pop = redis.call('blpop', 'bl:list', 5);
    await redis.call('rpush', 'bl:list', 'item');
    expect(await pop).toEqual(['bl:list', 'item']);
  });
});

describe('pipelines and multi-key commands across slots', () => {
  it('splits a pipeline per node and returns the results in the caller\'s order', async () => {
    const commands: string[][] = [];
    for (let i = 0; i < 300; i++) commands.push(['set', `pl:${i}`, String(i)], ['get', `pl:${i}`]);
    const results = await redis.pipeline(commands);
    for (let i = 0; i < 300; i++) {
      expect(results[2 * i]).toBe('OK');
      expect(results[2 * i + 1]).toBe(String(i));
    }
  });

  it('reports a failing command in a cross-slot pipeline without failing the others', async () => {
    await redis.call('set', 'pl:str', 'x');
    const err = await redis.pipeline([['get', 'pl:1'], ['lpush', 'pl:str', 'y'], ['get', 'pl:2'], ['mget', 'pl:1', 'pl:2', 'pl:3']]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelinedExceptions);
    const results = (err as PipelinedExceptions).results;
    expect(results[0]).toBe('1');
    expect((results[1] as ReplyError).code).toBe('WRONGTYPE');
    expect(results[2]).toBe('2');
    expect(results[3]).toEqual(['1', '2', '3']);
  });

  it('splits MGET, MSET, DEL, UNLINK, EXISTS and TOUCH across slots and merges the replies', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `mk:${i}`);
    const slots = new Set(keys.map((k) => hashSlot(k)));
    expect(slots.size).toBeGreaterThan(50);
    expect(await redis.call('mset', ...keys.flatMap((k, i) => [k, `v${i}`]))).toBe('OK');
    expect(await redis.call('mget', ...keys, 'mk:missing')).toEqual([...keys.map((_, i) => `v${i}`), null]);
    expect(await redis.call('exists', ...keys, keys[0], 'mk:missing')).toBe(101);
    expect(await redis.call('touch', ...keys)).toBe(100);
    expect(await redis.call('del', ...keys.slice(0, 50))).toBe(50);
    expect(await redis.call('unlink', ...keys)).toBe(50);
    expect(await redis.call('exists', ...keys)).toBe(0);
    // With attributes on, merged replies are wrapped like any other.
    await redis.call('mset', 'mk:a', '1', 'mk:b', '2');
    const wrapped = (await redis.call('mget', 'mk:a', 'mk:b', { attributes: true })) as RedisValue<RedisValue[]>;
    expect(wrapped).toBeInstanceOf(RedisValue);
    expect(wrapped.data.map((v) => v.data)).toEqual(['1', '2']);
  });
});

describe('exclusive connections', () => {
  it('connection({ key }) runs a transaction on the owning node', async () => {
    await using c = await redis.connection({ key: '{acct}:1' });
    expect(c.address).toBe(await ownerOf('{acct}:1'));
    await c.call('watch', '{acct}:balance');
    await c.call('multi');
    await c.call('incrby', '{acct}:balance', 10);
    await c.call('incrby', '{acct}:1', 1);
    expect(await c.call('exec')).toEqual([10, 1]);
  });

  it('a transaction touching a key of another node fails with MOVED, and says why', async () => {
    const here = await ownerOf('{acct}:1');
    let other = 'x';
    for (let i = 0; (await ownerOf(other)) === here; i++) other = `x${i}`;
    await using c = await redis.connection({ key: '{acct}:1' });
    await c.call('multi');
    const err = await c.call('set', other, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).code).toBe('MOVED');
    expect((err as Error).message).toMatch(/hash tag/);
    await expect(c.call('exec')).rejects.toMatchObject({ code: 'EXECABORT' });
  });

  it('connection({ endpoint }) reaches the named node', async () => {
    const [host, port] = cluster.addresses[2];
    await using c = await redis.connection({ endpoint: [host, port] });
    expect(c.address).toBe(`${host}:${port}`);
    expect(await c.call('cluster', 'myid')).toBe((await nodeAt(`${host}:${port}`).cli('cluster', 'myid')).trim());
  });
});

describe('blocking commands with an endpoint', () => {
  it('run on an exclusive connection of the node ({ endpoint } and endpoint: "masters"), never stalling its shared one', async () => {
    const owner = await ownerOf('bq');
    const popped = redis.call('blpop', 'bq', 0, { endpoint: owner });
    // On the node's shared connection this ECHO would wait behind the BLPOP forever.
    expect(await redis.call('echo', 'free', { endpoint: owner })).toBe('free');
    await redis.call('rpush', 'bq', 'one');
    expect(await popped).toEqual(['bq', 'one']);

    const fanned = redis.call('blpop', 'bq', 0, { endpoint: 'masters' });
    const echoes = (await redis.call('echo', 'free', { endpoint: 'masters' })) as Map<string, unknown>;
    expect([...echoes.values()]).toEqual(['free', 'free', 'free']);
    await redis.call('rpush', 'bq', 'two');
    const replies = (await fanned) as Map<string, unknown>;
    expect(replies.get(owner)).toEqual(['bq', 'two']);
    for (const [node, reply] of replies) if (node !== owner) expect(reply).toMatchObject({ code: 'MOVED' });
  });
});

describe('replica reads', () => {
  it('sends read-only commands to replicas with readFrom: "replica", writes to masters', async () => {
    await using reader = new Redis({ addresses: cluster.addresses, decoder: 'utf8', readFrom: 'replica' });
    const masters = await cluster.masters();
    const replicas = cluster.nodes.filter((n) => !masters.includes(n));
    const before = await Promise.all(replicas.map((r) => calls(r, 'get')));
    const mastersBefore = await Promise.all(masters.map((m) => calls(m, 'get')));
    for (let i = 0; i < 300; i++) await reader.call('set', `rr:${i}`, i);
    // Let replication catch up, then read through the replicas.
    await reader.call('wait', 1, 1000, { endpoint: 'masters' });
    let found = 0;
    for (let i = 0; i < 300; i++) if ((await reader.call('get', `rr:${i}`)) === String(i)) found++;
    expect(found).toBe(300);
    const after = await Promise.all(replicas.map((r) => calls(r, 'get')));
    const mastersAfter = await Promise.all(masters.map((m) => calls(m, 'get')));
    for (let i = 0; i < replicas.length; i++) expect(after[i] - before[i]).toBeGreaterThan(30);
    expect(mastersAfter.reduce((a, b) => a + b, 0) - mastersBefore.reduce((a, b) => a + b, 0)).toBe(0);
    expect(await Promise.all(replicas.map((r) => calls(r, 'readonly')))).not.toContain(0);
  });
});

describe('slot migration by hand', () => {
  it('follows ASK while a slot migrates, then MOVED once it is done', async () => {
    const key = '{mig}a';
    const other = '{mig}b';
    const slot = hashSlot(key);
    await redis.call('set', key, 'A');
    await redis.call('set', other, 'B');
    const sourceKey = await ownerOf(key);
    const source = nodeAt(sourceKey);
    const target = (await cluster.masters()).find((m) => m !== source)!;
    const sourceId = (await source.cli('cluster', 'myid')).trim();
    const targetId = (await target.cli('cluster', 'myid')).trim();
    const askingBefore = await calls(target, 'asking');

    await target.cli('cluster', 'setslot', String(slot), 'importing', sourceId);
    await source.cli('cluster', 'setslot', String(slot), 'migrating', targetId);
    await source.cli('migrate', target.host, String(target.port), '', '0', '5000', 'keys', key);

    // Mid-migration: the moved key is answered by the target after ASK, the other one by the source.
    expect(await redis.call('get', key)).toBe('A');
    expect(await redis.call('get', other)).toBe('B');
    expect(await redis.call('set', '{mig}new', 'N')).toBe('OK'); // a new key goes to the importing node
    expect(await redis.pipeline([['get', key], ['get', other], ['get', '{mig}new']])).toEqual(['A', 'B', 'N']);
    expect((await calls(target, 'asking')) - askingBefore).toBeGreaterThanOrEqual(4);
    expect(Number(await target.cli('cluster', 'countkeysinslot', String(slot)))).toBe(2);

    await source.cli('migrate', target.host, String(target.port), '', '0', '5000', 'keys', other);
    for (const node of await cluster.masters()) await node.cli('cluster', 'setslot', String(slot), 'node', targetId);
    expect(await redis.call('get', other)).toBe('B');
    expect(await redis.call('mget', key, other, '{mig}new')).toEqual(['A', 'B', 'N']);
    expect(`${target.host}:${target.port}`).toBe(await ownerOf(key));
  });

  it('gives up after maxRedirections with a clear error', async () => {
    // A slot migrating to a node that does not import it: ASK and MOVED bounce forever.
    await using bounded = new Redis({ addresses: cluster.addresses, decoder: 'utf8', maxRedirections: 5 });
    const key = '{loop}k';
    const slot = hashSlot(key);
    const source = nodeAt(await ownerOf(key));
    const target = (await cluster.masters()).find((m) => m !== source)!;
    const targetId = (await target.cli('cluster', 'myid')).trim();
    await source.cli('cluster', 'setslot', String(slot), 'migrating', targetId);
    try {
      const err = await bounded.call('get', key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisError);
      expect((err as RedisError).code).toBe('ERR_CLUSTER_REDIRECTIONS');
      expect((err as Error).message).toMatch(/GET was redirected or retried 5 times/);
    } finally {
      await source.cli('cluster', 'setslot', String(slot), 'stable');
    }
    expect(await bounded.call('get', key)).toBeNull();
  });
});

describe('TLS', () => {
  let secure: RedisClusterSetup;
  beforeAll(async () => {
    secure = await startRedisCluster({ masters: 3, replicasPerMaster: 0, tls: true });
  }, 60_000);
  afterAll(() => secure?.stop());

  it('reaches every node over TLS, checking certificates against the seed host name when nodes announce IPs', async () => {
    const checked: string[] = [];
    const port = secure.addresses[0][1];
    await using r = new Redis({
      addresses: [['localhost', port]],
      decoder: 'utf8',
      tls: {
        ca: secure.tls!.ca,
        checkServerIdentity: (host, cert) => {
          checked.push(host);
          return checkServerIdentity(host, cert);
        },
      },
    });
    for (let i = 0; i < 100; i++) await r.call('set', `tls:${i}`, i);
    expect(await r.call('mget', 'tls:1', 'tls:50', 'tls:99')).toEqual(['1', '50', '99']);
    const endpoints = await r.endpoints();
    expect(endpoints.map((e) => (e.address as [string, number])[0])).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    const sizes = (await r.call('dbsize', { endpoint: 'masters' })) as Map<string, number>;
    expect([...sizes.values()].every((n) => n > 0)).toBe(true);
    // Nodes announce 127.0.0.1, yet every certificate was checked for the seed's name.
    expect(checked.length).toBeGreaterThanOrEqual(3);
    expect(new Set(checked)).toEqual(new Set(['localhost']));
  });

  it('still refuses a certificate that does not name the host, as certain (ERR_TLS_VERIFY, not retried)', async () => {
    await using r = new Redis({ addresses: secure.addresses, poolFactory: 'cluster', connectRetry: 5, tls: { ca: secure.tls!.ca, servername: 'other.invalid' } });
    const err = await r.call('get', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisError);
    expect(err).toMatchObject({ code: 'ERR_TLS_VERIFY' });
    expect(String((err as Error).message)).toMatch(/other\.invalid|altnames|hostname/i);
  });

  it('works from a rediss:// URL with a host list', async () => {
    const url = `${secure.url}?decoder=utf8`;
    await using r = Redis.fromUrl(url, { tls: { ca: secure.tls!.ca } });
    expect(await r.call('get', 'tls:7')).toBe('7');
  });
});
