import type { INestMicroservice } from '@nestjs/common';
import { firstValueFrom, lastValueFrom, timeout, toArray, TimeoutError } from 'rxjs';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import type { Redis } from '../../lib/core/index.js';
import { adminClient, eventually, numsub } from '../nest/nest-helpers.js';
import { openableGate, Probe, startClient, startService, WildcardModule, type AnyClient, type Side } from './fixtures.js';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = adminClient(server.port);
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

/** A request that is answered once the service is back: retried (each try bounded) until one gets through. */
async function sendWhenBack<T>(client: AnyClient, pattern: unknown, data: unknown): Promise<T> {
  return eventually(() => firstValueFrom(client.send<T>(pattern, data).pipe(timeout(2000))), 15_000, 50);
}

// client → service: ours ↔ ours, ours → the built-in Transport.REDIS service, the built-in ClientRedis → ours.
const pairs: [client: Side, service: Side][] = [
  ['ours', 'ours'],
  ['ours', 'builtin'],
  ['builtin', 'ours'],
];

describe.each(pairs)('%s client → %s service', (clientSide, serviceSide) => {
  let app: INestMicroservice;
  let client: AnyClient;
  let probe: Probe;

  beforeAll(async () => {
    app = await startService(serviceSide, server.port);
    probe = app.get(Probe);
    client = await startClient(clientSide, server.port);
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  it('answers @MessagePattern requests, each reply to its own caller', async () => {
    expect(await firstValueFrom(client.send('sum', [1, 2, 3]))).toBe(6);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => firstValueFrom(client.send<number>('sum', [i, 1000]))));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1000));
    // The handler sees the concrete channel in its RedisContext.
    expect(await firstValueFrom(client.send('where', {}))).toBe('where');
  });

  it('streams an Observable with several values, in order, then completes', async () => {
    expect(await lastValueFrom(client.send({ cmd: 'count' }, 5).pipe(toArray()))).toEqual([1, 2, 3, 4, 5]);
    expect(await lastValueFrom(client.send('ticks', 4).pipe(toArray()))).toEqual(['tick-0', 'tick-1', 'tick-2', 'tick-3']);
  });

  it('passes an RpcException to the caller as its error', async () => {
    await expect(firstValueFrom(client.send('fail', 'bad input'))).rejects.toEqual({ code: 'E_BAD', message: 'bad input' });
  });

  it('times out with rxjs timeout(); the late reply reaches nobody and the next request works', async () => {
    probe.gate = openableGate();
    probe.slowEntered = openableGate();
    const late = firstValueFrom(client.send('slow', 7).pipe(timeout(300)));
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    await probe.slowEntered.promise; // the service did get it
    probe.gate.open(); // it answers now, after the caller gave up
    expect(await firstValueFrom(client.send('sum', [40, 2]))).toBe(42);
    expect(await firstValueFrom(client.send('slow', 8))).toBe(8);
    // Nothing left subscribed for replies once no request is in flight.
    await eventually(async () => (await numsub(admin, 'slow.reply')) === 0 && (await numsub(admin, 'sum.reply')) === 0, 15_000);
  });

  it('delivers @EventPattern events', async () => {
    await lastValueFrom(client.emit('audit', { who: clientSide, n: 1 }), { defaultValue: undefined });
    await probe.eventSeen((e) => (e as { n: number }).n === 1);
    expect(probe.events).toContainEqual({ who: clientSide, n: 1 });
  });

  it('resubscribes after CLIENT KILL TYPE pubsub: requests, streams, errors and events flow again', async () => {
    // A request in flight keeps the client subscribed to its reply channel, so the kill hits both sides.
    probe.gate = openableGate();
    probe.slowEntered = openableGate();
    const inFlight = firstValueFrom(client.send('slow', 9).pipe(timeout(20_000))).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await probe.slowEntered.promise;
    const killed = (await admin.call('client', 'kill', 'type', 'pubsub')) as number;
    expect(killed).toBe(2);
    await eventually(async () => (await numsub(admin, 'sum')) === 1, 15_000);
    if (clientSide === 'ours') {
      // Its reply may have been published while nobody listened: the caller is told, not left waiting.
      expect(await inFlight).toEqual({ error: new Error('Connection lost. Trying to reconnect...') });
    }
    probe.gate.open();
    await inFlight;

    expect(await sendWhenBack<number>(client, 'sum', [20, 3])).toBe(23);
    expect(await lastValueFrom(client.send({ cmd: 'count' }, 3).pipe(toArray()))).toEqual([1, 2, 3]);
    await expect(firstValueFrom(client.send('fail', 'after kill'))).rejects.toEqual({ code: 'E_BAD', message: 'after kill' });
    await lastValueFrom(client.emit('audit', { who: clientSide, n: 2 }), { defaultValue: undefined });
    await probe.eventSeen((e) => (e as { n: number }).n === 2);
  });
});

describe.each([
  ['ours', 'ours'],
  ['builtin', 'ours'],
  ['ours', 'builtin'],
] as [Side, Side][])('wildcards: %s client → %s service', (clientSide, serviceSide) => {
  let app: INestMicroservice;
  let client: AnyClient;

  beforeAll(async () => {
    app = await startService(serviceSide, server.port, WildcardModule, true);
    client = await startClient(clientSide, server.port);
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  it('routes every concrete channel to the pattern handler (PSUBSCRIBE) and replies on the concrete channel', async () => {
    expect(await firstValueFrom(client.send('users.42', { id: 42 }))).toEqual({ id: 42, channel: 'users.42' });
    expect(await firstValueFrom(client.send('users.7', { id: 7 }))).toEqual({ id: 7, channel: 'users.7' });
    const patterns = (await admin.call('pubsub', 'numpat')) as number;
    expect(patterns).toBeGreaterThanOrEqual(1);
  });
});
