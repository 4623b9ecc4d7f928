import diagnostics_channel from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { Redis, ReplyError, PipelinedExceptions, COMMAND_CHANNEL, CONNECT_CHANNEL, DISCONNECT_CHANNEL, type CommandContext, type ConnectionEvent } from '../../lib/core/index.js';
import { redactedArgs, REDACTED } from '../../lib/core/diagnostics/redact.js';
import { useRedisServer } from '../fixtures.js';
import { recordCommands } from './record-commands.js';

const PASSWORD = 'tracing-secret-pw';

const server = useRedisServer({ password: PASSWORD });

/** poolFactory 'pool': no cluster detection, so the shared connection is the only one opened. */
function client(): Redis {
  return new Redis({ address: [server.host, server.port], password: PASSWORD, decoder: 'utf8', poolFactory: 'pool' });
}

describe('tracingChannel nestjs-justredis:command (standalone)', () => {
  it('publishes start, end, asyncStart and asyncEnd once per call with the documented context', async () => {
    await using redis = client();
    await redis.call('ping'); // connect first: the subscriber sees only the calls below
    const rec = recordCommands();
    try {
      expect(await redis.call('set', 'dc:a', 'value-1')).toBe('OK');
      expect(await redis.modify({ database: 3 }).call('get', 'dc:a')).toBeNull();
    } finally {
      rec.stop();
    }
    expect(rec.events.map((e) => e.phase)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd', 'start', 'end', 'asyncStart', 'asyncEnd']);
    const [set, , , setEnd, get, , , getEnd] = rec.events;
    expect(set.snapshot).toEqual({ command: 'SET', args: ['dc:a', 'value-1'], database: 0, serverAddress: undefined, serverPort: undefined, redirects: 0 });
    expect(setEnd.context).toBe(set.context);
    expect(setEnd.snapshot).toEqual({ command: 'SET', args: ['dc:a', 'value-1'], database: 0, serverAddress: server.host, serverPort: server.port, redirects: 0, result: 'OK' });
    expect(get.snapshot).toMatchObject({ command: 'GET', args: ['dc:a'], database: 3 });
    expect(getEnd.snapshot).toMatchObject({ command: 'GET', database: 3, serverAddress: server.host, serverPort: server.port, result: null });
  });

  it('publishes error (with the ReplyError) before asyncStart/asyncEnd for a reply error', async () => {
    await using redis = client();
    await redis.call('set', 'dc:str', 'x');
    const rec = recordCommands();
    let thrown: unknown;
    try {
      await redis.call('incr', 'dc:str').catch((err: unknown) => (thrown = err));
    } finally {
      rec.stop();
    }
    expect(thrown).toBeInstanceOf(ReplyError);
    expect(rec.events.map((e) => e.phase)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(rec.events[2].snapshot.error).toBe(thrown);
    expect(rec.events[4].snapshot).toMatchObject({ command: 'INCR', args: ['dc:str'], serverPort: server.port });
  });

  it('publishes once per pipeline, with its commands and batchSize', async () => {
    await using redis = client();
    const rec = recordCommands();
    try {
      await redis.pipeline([['set', 'dc:p', '1'], ['incr', 'dc:p'], ['get', 'dc:p']]);
      await redis.pipeline([['set', 'dc:q', 'x'], ['incr', 'dc:q']]).catch((err: unknown) => expect(err).toBeInstanceOf(PipelinedExceptions));
    } finally {
      rec.stop();
    }
    const starts = rec.events.filter((e) => e.phase === 'start');
    expect(starts).toHaveLength(2);
    expect(rec.events.filter((e) => e.phase === 'asyncEnd')).toHaveLength(2);
    expect(starts[0].snapshot).toMatchObject({
      command: 'PIPELINE',
      batchSize: 3,
      database: 0,
      commands: [
        { command: 'SET', args: ['dc:p', '1'] },
        { command: 'INCR', args: ['dc:p'] },
        { command: 'GET', args: ['dc:p'] },
      ],
    });
    const firstEnd = rec.events.find((e) => e.phase === 'asyncEnd' && e.context === starts[0].context)!;
    expect(firstEnd.snapshot).toMatchObject({ serverAddress: server.host, serverPort: server.port, result: ['OK', 2, '2'] });
    const errors = rec.events.filter((e) => e.phase === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].context).toBe(starts[1].context);
    expect(errors[0].snapshot.error).toBeInstanceOf(PipelinedExceptions);
  });

  it('traces calls and pipelines on an exclusive connection too (a transaction: MULTI, SET, EXEC)', async () => {
    await using redis = client();
    const rec = recordCommands();
    try {
      const c = await redis.connection({ database: 4 });
      await c.call('multi');
      await c.call('set', 'dc:tx', '1');
      expect(await c.call('exec')).toEqual(['OK']);
      expect(await c.pipeline([['get', 'dc:tx'], ['del', 'dc:tx']])).toEqual(['1', 1]);
      await c.release();
    } finally {
      rec.stop();
    }
    const ends = rec.events.filter((e) => e.phase === 'asyncEnd').map((e) => e.snapshot);
    expect(ends.map((e) => e.command)).toEqual(['MULTI', 'SET', 'EXEC', 'PIPELINE']);
    for (const e of ends) expect(e).toMatchObject({ database: 4, serverAddress: server.host, serverPort: server.port });
    expect(ends[2].result).toEqual(['OK']);
    expect(ends[3]).toMatchObject({ batchSize: 2, result: ['1', 1] });
  });

  it('decides once, when the call is made: a call made with nobody listening publishes nothing, even if a subscriber comes before it settles', async () => {
    await using redis = client();
    await redis.call('ping');
    const untraced = redis.call('set', 'dc:late', '1');
    const untracedPipeline = redis.pipeline([['get', 'dc:late']]);
    const rec = recordCommands();
    try {
      expect(await untraced).toBe('OK');
      expect(await untracedPipeline).toEqual(['1']);
      await redis.call('get', 'dc:late');
    } finally {
      rec.stop();
    }
    expect(rec.events.map((e) => `${e.phase}:${e.context.command}`)).toEqual(['start:GET', 'end:GET', 'asyncStart:GET', 'asyncEnd:GET']);
  });

  it('does not trace calls refused before anything is sent', async () => {
    await using redis = client();
    const rec = recordCommands();
    try {
      await expect(redis.call('multi')).rejects.toThrow(TypeError);
      await expect(redis.call('get', true)).rejects.toThrow(TypeError);
    } finally {
      rec.stop();
    }
    expect(rec.events).toEqual([]);
  });

  it('never publishes a password: credential-bearing arguments are redacted', async () => {
    await using redis = client();
    const rec = recordCommands();
    const connects: unknown[] = [];
    const onConnect = (m: unknown) => connects.push(m);
    diagnostics_channel.subscribe(CONNECT_CHANNEL, onConnect);
    try {
      // AUTH is refused on the shared path (it would switch the user under every caller): on a taken connection.
      {
        await using taken = await redis.connection();
        await taken.call('auth', PASSWORD);
      }
      await redis.call('acl', 'setuser', 'dc-user', 'on', `>${PASSWORD}`, '~*', '+get');
      await redis.call('config', 'set', 'masterauth', PASSWORD);
      // MIGRATE with AUTH to a server where nothing waits: the error is fine, the published args matter.
      await redis.call('migrate', '127.0.0.1', server.port, 'dc:none', 0, 1000, 'AUTH', PASSWORD).catch(() => {});
      await redis.call('migrate', '127.0.0.1', server.port, '', 0, 1000, 'AUTH2', 'dc-user', PASSWORD, 'KEYS', 'dc:none').catch(() => {});
      await redis.pipeline([['config', 'set', 'masterauth', PASSWORD], ['get', 'dc:a']]);
    } finally {
      rec.stop();
      diagnostics_channel.unsubscribe(CONNECT_CHANNEL, onConnect);
      await redis.call('acl', 'deluser', 'dc-user');
      await redis.call('config', 'set', 'masterauth', '');
    }
    expect(rec.events.filter((e) => e.phase === 'start')).toHaveLength(6);
    expect(connects.length).toBeGreaterThan(0); // the handshake sent AUTH: its event must not carry it either
    for (const published of [...rec.events.map((e) => e.context), ...connects]) {
      expect(JSON.stringify(published, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(PASSWORD);
      expect(inspect(published, { depth: 10 })).not.toContain(PASSWORD);
    }
    const byCommand = (name: string) => rec.events.find((e) => e.phase === 'start' && e.context.command === name)!.context;
    expect(byCommand('AUTH').args).toEqual([REDACTED]);
    expect(byCommand('ACL').args).toEqual(['setuser', 'dc-user', 'on', REDACTED, '~*', '+get']);
    expect(byCommand('CONFIG').args).toEqual(['set', 'masterauth', REDACTED]);
    expect(byCommand('MIGRATE').args).toEqual(['127.0.0.1', server.port, 'dc:none', 0, 1000, 'AUTH', REDACTED]);
  });

  it('redacts every credential form it knows', () => {
    const cases: [string, unknown[], unknown[]][] = [
      ['auth', ['auth', 'pw'], [REDACTED]],
      ['auth', ['AUTH', 'user', 'pw'], [REDACTED, REDACTED]],
      ['hello', ['HELLO', '3', 'AUTH', 'user', 'pw', 'SETNAME', 'n'], ['3', 'AUTH', REDACTED, REDACTED, 'SETNAME', 'n']],
      ['hello', ['hello', 3, Buffer.from('auth'), 'user', Buffer.from('pw')], [3, Buffer.from('auth'), REDACTED, REDACTED]],
      ['migrate', ['MIGRATE', 'h', 1, '', 0, 5, 'COPY', 'AUTH2', 'u', 'pw', 'KEYS', 'auth', 'k'], ['h', 1, '', 0, 5, 'COPY', 'AUTH2', REDACTED, REDACTED, 'KEYS', 'auth', 'k']],
      ['acl', ['ACL', 'SETUSER', 'u', 'on', '>pw', '<old', '#abc', '!def', '~*'], ['SETUSER', 'u', 'on', REDACTED, REDACTED, REDACTED, REDACTED, '~*']],
      ['config', ['CONFIG', 'SET', 'maxmemory', '1mb', 'requirepass', 'pw'], ['SET', 'maxmemory', '1mb', 'requirepass', REDACTED]],
      ['sentinel', ['SENTINEL', 'SET', 'm', 'auth-pass', 'pw', 'quorum', '2'], ['SET', 'm', 'auth-pass', REDACTED, 'quorum', '2']],
      ['get', ['GET', 'auth'], ['auth']],
    ];
    for (const [name, command, expected] of cases) {
      const original = [...command];
      expect(redactedArgs(name, command as never)).toEqual(expected);
      expect(command).toEqual(original);
    }
  });
});

describe('channels nestjs-justredis:connect / :disconnect', () => {
  it('publishes connect, then disconnect with the error on CLIENT KILL, then connect again on the next call', async () => {
    await using redis = client();
    const seen: { channel: string; message: ConnectionEvent }[] = [];
    let onDisconnect!: () => void;
    const disconnected = new Promise<void>((resolve) => (onDisconnect = resolve));
    const connect = (m: unknown) => seen.push({ channel: 'connect', message: m as ConnectionEvent });
    const disconnect = (m: unknown) => {
      seen.push({ channel: 'disconnect', message: m as ConnectionEvent });
      onDisconnect();
    };
    diagnostics_channel.subscribe(CONNECT_CHANNEL, connect);
    diagnostics_channel.subscribe(DISCONNECT_CHANNEL, disconnect);
    try {
      const id = await redis.call('client', 'id');
      await server.cli('client', 'kill', 'id', String(id));
      await disconnected;
      expect(await redis.call('ping')).toBe('PONG');
    } finally {
      diagnostics_channel.unsubscribe(CONNECT_CHANNEL, connect);
      diagnostics_channel.unsubscribe(DISCONNECT_CHANNEL, disconnect);
    }
    expect(seen.map((s) => s.channel)).toEqual(['connect', 'disconnect', 'connect']);
    expect(seen[0].message).toEqual({ serverAddress: server.host, serverPort: server.port });
    expect(seen[1].message).toMatchObject({ serverAddress: server.host, serverPort: server.port });
    expect(seen[1].message.error).toBeInstanceOf(Error);
    expect(seen[2].message).toEqual({ serverAddress: server.host, serverPort: server.port });
  });

  it('publishes a failed connect with its error, and a deliberate close without one', async () => {
    const seen: ConnectionEvent[] = [];
    const connect = (m: unknown) => seen.push(m as ConnectionEvent);
    const closes: ConnectionEvent[] = [];
    const disconnect = (m: unknown) => closes.push(m as ConnectionEvent);
    diagnostics_channel.subscribe(CONNECT_CHANNEL, connect);
    diagnostics_channel.subscribe(DISCONNECT_CHANNEL, disconnect);
    try {
      const wrong = new Redis({ address: [server.host, server.port], password: 'not-it', connectRetry: 0, poolFactory: 'pool' });
      await expect(wrong.call('ping')).rejects.toThrow(ReplyError);
      await wrong.close();
      const right = client();
      await right.call('ping');
      await right.close();
    } finally {
      diagnostics_channel.unsubscribe(CONNECT_CHANNEL, connect);
      diagnostics_channel.unsubscribe(DISCONNECT_CHANNEL, disconnect);
    }
    expect(seen).toHaveLength(2);
    expect(seen[0].error).toBeInstanceOf(ReplyError);
    expect(seen[1]).toEqual({ serverAddress: server.host, serverPort: server.port });
    // The failed handshake's connection never counted as connected: one disconnect, the deliberate one.
    expect(closes).toEqual([{ serverAddress: server.host, serverPort: server.port }]);
  });
});
