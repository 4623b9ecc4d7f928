import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { filter, firstValueFrom, lastValueFrom, timeout, toArray } from 'rxjs';
import { startRedisCluster, type RedisClusterSetup } from '../../lib/testing/index.js';
import { Redis } from '../../lib/core/index.js';
import { JustRedisClientProxy, JustRedisServer } from '../../lib/microservices/index.js';
import { eventually } from '../nest/nest-helpers.js';
import { MathModule, openableGate, Probe } from './fixtures.js';

let cluster: RedisClusterSetup;
let app: INestMicroservice;
let client: JustRedisClientProxy;
let probe: Probe;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  app = await NestFactory.createMicroservice(MathModule, { strategy: new JustRedisServer({ url: cluster.url }), logger: false });
  await app.listen();
  probe = app.get(Probe);
  client = new JustRedisClientProxy({ url: cluster.url });
  await client.connect();
}, 60_000);

afterAll(async () => {
  await client?.close();
  await app?.close();
  await cluster?.stop();
});

/** Every master's own view: PUBLISH/SUBSCRIBE are cluster-wide, but CLIENT KILL is per node. */
async function onEveryMaster<T>(command: [name: string, ...args: string[]]): Promise<T[]> {
  const results: T[] = [];
  for (const node of await cluster.masters()) {
    const direct = new Redis({ address: ['127.0.0.1', node.port], poolFactory: 'pool', decoder: 'utf8' });
    try {
      results.push((await direct.call(...command)) as T);
    } finally {
      await direct.close();
    }
  }
  return results;
}

describe('on the 3-master cluster', () => {
  it('answers requests, streams, errors and events', async () => {
    expect(await firstValueFrom(client.send('sum', [1, 2, 3]))).toBe(6);
    expect(await lastValueFrom(client.send({ cmd: 'count' }, 4).pipe(toArray()))).toEqual([1, 2, 3, 4]);
    await expect(firstValueFrom(client.send('fail', 'no'))).rejects.toEqual({ code: 'E_BAD', message: 'no' });
    await lastValueFrom(client.emit('audit', { n: 1 }), { defaultValue: undefined });
    await probe.eventSeen((e) => (e as { n: number }).n === 1);
  });

  it('resubscribes after CLIENT KILL TYPE pubsub on every master', async () => {
    probe.gate = openableGate();
    probe.slowEntered = openableGate();
    const inFlight = firstValueFrom(client.send('slow', 1)).catch((err: Error) => err);
    await probe.slowEntered.promise;
    const killed = await onEveryMaster<number>(['client', 'kill', 'type', 'pubsub']);
    expect(killed.reduce((a, b) => a + b, 0)).toBe(2); // the service's subscriber and the client's
    expect(await inFlight).toEqual(new Error('Connection lost. Trying to reconnect...'));
    // The in-flight failure came with 'reconnecting': the next 'connected' is the client's resubscribed reply lane.
    const clientBack = firstValueFrom(client.status.pipe(filter((s) => s === 'connected')));
    probe.gate.open();
    await eventually(async () => (await onEveryMaster<[string, number]>(['pubsub', 'numsub', 'sum'])).some((r) => r[1] === 1), 15_000);
    await clientBack;

    expect(await firstValueFrom(client.send('sum', [5, 5]).pipe(timeout(10_000)))).toBe(10);
    expect(await lastValueFrom(client.send({ cmd: 'count' }, 2).pipe(toArray()))).toEqual([1, 2]);
    await lastValueFrom(client.emit('audit', { n: 2 }), { defaultValue: undefined });
    await probe.eventSeen((e) => (e as { n: number }).n === 2);
  });
});
