import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { JustRedisModule, RedisPubSub, RedisSubscribe, RedisSubscriptionRefusedError, type Redis, type RedisMessage } from '../../lib/index.js';
import { adminClient, CapturingLogger, eventually, namedConnections, numsub, within } from './nest-helpers.js';

// Redis 7 gives an ACL user no channels unless its rules grant some (acl-pubsub-default
// resetchannels): this user may use every key and command, but only channels "allowed.*".
const PASSWORD = 'pubsub-secret-pw-93';
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer({ users: [{ username: 'app', password: PASSWORD, rules: 'resetchannels &allowed.* ~* +@all on' }] });
  admin = adminClient(server.port);
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

const url = () => `redis://app:${PASSWORD}@${server.host}:${server.port}`;

@Injectable()
class Forbidden {
  @RedisSubscribe('allowed.fine')
  onFine(_message: RedisMessage): void {}

  @RedisSubscribe('acl.ch')
  onForbidden(_message: RedisMessage): void {}
}

@Injectable()
class Allowed {
  readonly seen: string[] = [];
  @RedisSubscribe('allowed.news')
  onNews(message: RedisMessage): void {
    this.seen.push(message.data);
  }
}

async function build(clientName: string, provider: typeof Forbidden | typeof Allowed, extra: object = {}) {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ url: url(), decoder: 'utf8', clientName, ...extra })],
    providers: [provider],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  return { app, logger };
}

describe('a subscription the server refuses', () => {
  it.each([2, 3] as const)('fails app.init() naming the client, the channel and the reason (RESP%i), and closes cleanly', async (respVersion) => {
    const clientName = `refused-init-${respVersion}`;
    const { app, logger } = await build(clientName, Forbidden, { respVersion });
    const failure = await within(app.init().then(() => null, (err: unknown) => err), 15_000, 'app.init()');
    expect(failure).toBeInstanceOf(RedisSubscriptionRefusedError);
    const error = failure as RedisSubscriptionRefusedError;
    expect(error.code).toBe('ERR_SUBSCRIPTION_REFUSED');
    expect(error.message).toContain('"default"');
    expect(error.message).toContain('"acl.ch"');
    expect(error.message).toMatch(/NOPERM/);
    expect(error.message).not.toContain(PASSWORD);
    expect(logger.find('error', /Forbidden\.onForbidden cannot subscribe: .*acl\.ch.*NOPERM/)).toHaveLength(1);
    // One refused channel does not take the others of the same push connection down.
    expect(await numsub(admin, 'allowed.fine')).toBe(1);

    await within(app.close(), 15_000, 'app.close()');
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
    expect(await numsub(admin, 'allowed.fine')).toBe(0);
    expect(logger.text()).not.toContain(PASSWORD);
  });

  it('errors an observe() Observable with the same reason, while allowed channels keep working', async () => {
    const clientName = 'refused-observe';
    const { app, logger } = await build(clientName, Allowed);
    await within(app.init(), 15_000, 'app.init()');
    const pubsub = app.get(RedisPubSub);

    const refused = await firstValueFrom(pubsub.observe('acl.other')).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(RedisSubscriptionRefusedError);
    expect((refused as Error).message).toMatch(/client "default" could not subscribe to channel "acl\.other": the server replied NOPERM/);
    const patternRefused = await firstValueFrom(pubsub.observe({ pattern: 'acl.*' })).catch((err: unknown) => err);
    expect((patternRefused as Error).message).toMatch(/pattern "acl\.\*".*NOPERM/);

    // The push connection stayed up: the handler's channel and a new observer still get messages.
    const next = firstValueFrom(pubsub.observe('allowed.more'));
    await pubsub.settled();
    await admin.call('publish', 'allowed.more', 'm1');
    await admin.call('publish', 'allowed.news', 'n1');
    expect((await next).data).toBe('m1');
    await eventually(() => app.get(Allowed).seen.includes('n1'));

    await within(app.close(), 15_000, 'app.close()');
    await eventually(async () => (await namedConnections(admin, clientName)) === 0);
    expect(logger.text()).not.toContain(PASSWORD);
  });
});
