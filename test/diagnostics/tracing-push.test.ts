/**
 * Push connections (`connection({ push: true })`) publish their calls on
 * `nestjs-justredis:command` like every other call, so SUBSCRIBE & co. get spans too. A push
 * call resolves once written (its reply comes as a message): its trace ends there, with the
 * server it was written to. Real server, RESP2 and RESP3.
 */
import { Redis } from '../../lib/core/index.js';
import { REDACTED } from '../../lib/core/diagnostics/redact.js';
import { useRedisServer } from '../fixtures.js';
import { recordCommands } from './record-commands.js';

const PASSWORD = 'push-tracing-pw';
const server = useRedisServer({ password: PASSWORD });

function client(respVersion: 2 | 3): Redis {
  return new Redis({ address: [server.host, server.port], password: PASSWORD, decoder: 'utf8', poolFactory: 'pool', respVersion });
}

describe.each([2, 3] as const)('push connection calls are traced (RESP%i)', (respVersion) => {
  it('SUBSCRIBE, PSUBSCRIBE and UNSUBSCRIBE: start, end, asyncStart, asyncEnd each, with the server written to; the trace ends at the write', async () => {
    await using redis = client(respVersion);
    await using push = await redis.connection({ push: true });
    const rec = recordCommands();
    try {
      await push.call('subscribe', 'dc:push:news');
      // Resolved at the write: the trace has ended, though the confirmation may not have come yet.
      expect(rec.events.map((e) => e.phase)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
      expect(await push.nextMessage()).toEqual(['subscribe', 'dc:push:news', 1]);
      await push.call('psubscribe', 'dc:push:*');
      await push.call('unsubscribe', 'dc:push:news');
    } finally {
      rec.stop();
    }
    expect(rec.events.map((e) => `${e.phase}:${e.context.command}`)).toEqual(
      ['SUBSCRIBE', 'PSUBSCRIBE', 'UNSUBSCRIBE'].flatMap((c) => [`start:${c}`, `end:${c}`, `asyncStart:${c}`, `asyncEnd:${c}`]),
    );
    const starts = rec.events.filter((e) => e.phase === 'start');
    expect(starts[0].snapshot).toEqual({ command: 'SUBSCRIBE', args: ['dc:push:news'], database: 0, serverAddress: undefined, serverPort: undefined, redirects: 0 });
    const ends = rec.events.filter((e) => e.phase === 'asyncEnd').map((e) => e.snapshot);
    expect(ends[0]).toEqual({ command: 'SUBSCRIBE', args: ['dc:push:news'], database: 0, serverAddress: server.host, serverPort: server.port, redirects: 0, result: null });
    expect(ends[1]).toMatchObject({ command: 'PSUBSCRIBE', args: ['dc:push:*'], serverPort: server.port });
    expect(ends[2]).toMatchObject({ command: 'UNSUBSCRIBE', args: ['dc:push:news'], serverPort: server.port });
  });

  it('any command on a push connection (PING, PUBLISH on RESP3, AUTH redacted), and nothing for a call refused before sending', async () => {
    await using redis = client(respVersion);
    await using push = await redis.connection({ push: true });
    await push.call('subscribe', 'dc:push:own');
    const rec = recordCommands();
    try {
      await push.call('ping');
      await push.call('auth', PASSWORD);
      // RESP2 allows only the subscribe family and PING while subscribed: PUBLISH there is a RESP3 case.
      if (respVersion === 3) await push.call('publish', 'dc:push:own', 'hello');
      await expect(push.call('get', true as never)).rejects.toThrow(TypeError);
    } finally {
      rec.stop();
    }
    const ends = rec.events.filter((e) => e.phase === 'asyncEnd').map((e) => e.snapshot);
    expect(ends.map((e) => e.command)).toEqual(respVersion === 3 ? ['PING', 'AUTH', 'PUBLISH'] : ['PING', 'AUTH']);
    for (const e of ends) expect(e).toMatchObject({ serverAddress: server.host, serverPort: server.port });
    expect(ends[1].args).toEqual([REDACTED]);
    expect(JSON.stringify(rec.events.map((e) => e.context))).not.toContain(PASSWORD);
  });

  it('a call on a closed push connection is refused before sending: no trace', async () => {
    await using redis = client(respVersion);
    const push = await redis.connection({ push: true });
    await push.close();
    const rec = recordCommands();
    try {
      await expect(push.call('subscribe', 'dc:push:gone')).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    } finally {
      rec.stop();
    }
    expect(rec.events).toEqual([]);
  });
});
