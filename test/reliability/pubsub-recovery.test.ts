/**
 * Pub/sub behind the Nest module through the fault proxy: after every cut (and after an
 * outage that refuses reconnects for a while) the push connection is reopened and
 * resubscribed by itself, and every message published after recovery arrives, once, in order.
 */
import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Subscription } from 'rxjs';
import { startRedisServer, startFaultProxy, type RedisServer, type FaultProxy } from '../../lib/testing/index.js';
import { JustRedisModule, RedisPubSub, RedisSubscribe, Redis, type RedisMessage } from '../../lib/index.js';
import { CapturingLogger } from '../nest/nest-helpers.js';
import { eventually } from '../helpers.js';
import { report, within } from './support.js';

@Injectable()
class Handlers {
  readonly received: string[] = [];
  @RedisSubscribe('rel.events')
  onEvent(message: RedisMessage): void {
    this.received.push(message.data);
  }
}

let server: RedisServer;
let proxy: FaultProxy;
let admin: Redis;
let app: INestApplication;
let handlers: Handlers;
let observed: string[];
let observation: Subscription;
const logger = new CapturingLogger();

beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startFaultProxy({ target: [server.host, server.port] });
  admin = new Redis({ address: [server.host, server.port], decoder: 'utf8' });
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ address: proxy.address, decoder: 'utf8' })],
    providers: [Handlers],
  })
    .setLogger(logger)
    .compile();
  app = moduleRef.createNestApplication();
  await app.init();
  handlers = app.get(Handlers);
  const pubsub = app.get(RedisPubSub);
  observed = [];
  observation = pubsub.observe('rel.observed').subscribe((m) => observed.push(m.data));
  await pubsub.settled();
});

afterAll(async () => {
  observation?.unsubscribe();
  await app?.close();
  await admin?.close();
  await proxy?.close();
  await server?.stop();
});

/** Publishes a marker until the subscriber sees one: from then on the subscription is live. */
async function resubscribed(channel: string, inbox: string[], marker: string): Promise<void> {
  let n = 0;
  await eventually(async () => {
    await admin.call('publish', channel, `${marker}-${n++}`);
    return inbox.some((m) => m.startsWith(`${marker}-`));
  }, 30_000, 50);
}

/** Publishes `count` numbered messages and checks they all arrive once, in order. */
async function everyMessage(channel: string, inbox: string[], prefix: string, count: number): Promise<void> {
  const sent = Array.from({ length: count }, (_, j) => `${prefix}-${j}`);
  for (const m of sent) await admin.call('publish', channel, m);
  await within(eventually(() => inbox.includes(sent[count - 1]), 20_000), 25_000, `${prefix} delivered`);
  expect(inbox.filter((m) => m.startsWith(`${prefix}-`))).toEqual(sent);
}

it('resubscribes after every cut and delivers every message published after recovery, once and in order', async () => {
  const CUTS = 10;
  const MESSAGES = 100;
  for (let cut = 0; cut < CUTS; cut++) {
    proxy.cutAll();
    await resubscribed('rel.events', handlers.received, `sync-${cut}`);
    await resubscribed('rel.observed', observed, `sync-${cut}`);
    await everyMessage('rel.events', handlers.received, `m${cut}`, MESSAGES);
    await everyMessage('rel.observed', observed, `m${cut}`, MESSAGES);
  }
  // One subscriber per channel on the server: the old connections are gone, none doubled.
  const [, events, , obs] = (await admin.call('pubsub', 'numsub', 'rel.events', 'rel.observed')) as [string, number, string, number];
  expect([events, obs]).toEqual([1, 1]);
  const restored = logger.find('log', /pub\/sub connection .* restored/).length;
  const lost = logger.find('warn', /pub\/sub connection .* lost/).length;
  report('pubsub-cuts', { cuts: CUTS, messagesAfterRecovery: 2 * CUTS * MESSAGES, restoredLogs: restored, lostWarnings: lost });
  expect(restored).toBeGreaterThanOrEqual(CUTS);
  expect(lost).toBeGreaterThanOrEqual(CUTS);
});

it('resubscribes after an outage that refuses reconnects for a while', async () => {
  proxy.refuse(true);
  proxy.cutAll();
  await logger.waitFor('warn', /pub\/sub connection .* lost/);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  proxy.refuse(false);
  await resubscribed('rel.events', handlers.received, 'sync-outage');
  await resubscribed('rel.observed', observed, 'sync-outage');
  await everyMessage('rel.events', handlers.received, 'outage', 200);
  await everyMessage('rel.observed', observed, 'outage', 200);
  // A lost connection is a warning and a recovery a log line: nothing was logged as an error.
  expect(logger.find('error', /./)).toEqual([]);
});
