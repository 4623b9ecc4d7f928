import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TerminusModule } from '@nestjs/terminus';
import { firstValueFrom } from 'rxjs';
import { startRedisCluster, type RedisClusterSetup } from '../../lib/testing/index.js';
import { InjectRedis, JustRedisHealthIndicator, JustRedisModule, Redis, RedisPubSub, RedisSubscribe, type RedisMessage } from '../../lib/index.js';
import { eventually } from './nest-helpers.js';

let cluster: RedisClusterSetup;
let app: INestApplication;

@Injectable()
class OnCluster {
  readonly seen: RedisMessage[] = [];
  constructor(
    @InjectRedis() readonly redis: Redis,
    @InjectRedis({ decoder: null }) readonly raw: Redis,
  ) {}

  @RedisSubscribe(['c.news', 'c.other'])
  onNews(message: RedisMessage): void {
    this.seen.push(message);
  }

  // Sharded channels live on the node owning their slot: these three hash to different masters.
  @RedisSubscribe({ shard: ['{a}orders', '{b}orders', '{c}orders'] })
  onShard(message: RedisMessage): void {
    this.seen.push(message);
  }
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ url: cluster.url, decoder: 'utf8' }), TerminusModule.forRoot({ logger: false })],
    providers: [OnCluster, JustRedisHealthIndicator],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await cluster?.stop();
});

describe('on a Redis Cluster', () => {
  it('provides the client and its views', async () => {
    const svc = app.get(OnCluster);
    await svc.redis.call('set', '{a}k', 'v');
    expect(await svc.raw.call('get', '{a}k')).toEqual(Buffer.from('v'));
    expect((await svc.redis.endpoints()).filter((e) => e.type === 'master')).toHaveLength(3);
  });

  it('delivers channel and sharded channel messages to handlers and Observables', async () => {
    const svc = app.get(OnCluster);
    const pubsub = app.get(RedisPubSub);
    const observed = firstValueFrom(pubsub.observe({ shard: '{b}orders' }));
    await pubsub.settled();
    await pubsub.publish('c.news', 'n1');
    for (const tag of ['a', 'b', 'c']) await pubsub.publish(`{${tag}}orders`, `o-${tag}`, { shard: true });
    expect(await observed).toEqual({ channel: '{b}orders', shard: true, data: 'o-b' });
    await eventually(() => svc.seen.length === 4);
    expect(svc.seen).toEqual(
      expect.arrayContaining([
        { channel: 'c.news', data: 'n1' },
        { channel: '{a}orders', shard: true, data: 'o-a' },
        { channel: '{b}orders', shard: true, data: 'o-b' },
        { channel: '{c}orders', shard: true, data: 'o-c' },
      ]),
    );
  });

  it('is healthy when every master reports cluster_state:ok', async () => {
    const result = await app.get(JustRedisHealthIndicator).isHealthy('cluster');
    expect(result).toEqual({ cluster: expect.objectContaining({ status: 'up', masters: 3 }) });
  });
});
