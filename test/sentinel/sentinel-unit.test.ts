import { CommunicationError, ConnectionPoolError, ReplyError } from '../../lib/core/errors.js';
import { fieldMap, parseConfigEpoch, parseMasterAddress, parseReplicas, parseRole, parseSentinelEvent } from '../../lib/core/sentinel/replies.js';
import { isReadOnlyCommand } from '../../lib/core/sentinel/read-only.js';
import { SentinelCommand, type ResendHandler } from '../../lib/core/sentinel/sentinel-command.js';
import { NOT_MASTER } from '../../lib/core/sentinel/probe.js';
import { RedisError } from '../../lib/core/errors.js';
import { Redis } from '../../lib/core/index.js';

describe('sentinel replies', () => {
  it('parses GET-MASTER-ADDR-BY-NAME, ROLE and config-epoch', () => {
    expect(parseMasterAddress(['10.0.0.1', '6380'])).toEqual(['10.0.0.1', 6380]);
    expect(parseMasterAddress(null)).toBeNull();
    expect(() => parseMasterAddress('nope')).toThrow(/GET-MASTER-ADDR-BY-NAME/);
    expect(parseRole(['master', 10, []])).toBe('master');
    expect(parseRole(['slave', '127.0.0.1', 6379, 'connected', 10])).toBe('slave');
    expect(parseConfigEpoch(['name', 'mymaster', 'config-epoch', '3'])).toBe(3);
    expect(parseConfigEpoch(new Map([['config-epoch', 2]]))).toBe(2);
    expect(fieldMap(['a', '1', 'b'])).toEqual(new Map([['a', '1']]));
  });

  it('keeps only healthy replicas, from RESP2 arrays or RESP3 maps', () => {
    const replica = (port: number, flags: string, link = 'ok') => ['ip', '127.0.0.1', 'port', String(port), 'flags', flags, 'master-link-status', link];
    const reply = [
      replica(1, 'slave'),
      replica(2, 'slave,s_down'),
      replica(3, 'slave,disconnected'),
      replica(4, 'slave', 'err'),
      new Map<string, string>([['ip', '::1'], ['port', '5'], ['flags', 'slave']]),
    ];
    expect(parseReplicas(reply)).toEqual([['127.0.0.1', 1], ['::1', 5]]);
  });

  it('reads switch-master and replica events for its own master only', () => {
    expect(parseSentinelEvent('+switch-master', 'mymaster 127.0.0.1 6379 127.0.0.1 6380', 'mymaster')).toEqual({ kind: 'switch-master', address: ['127.0.0.1', 6380] });
    expect(parseSentinelEvent('+switch-master', 'other 127.0.0.1 6379 127.0.0.1 6380', 'mymaster')).toBeNull();
    expect(parseSentinelEvent('+sdown', 'slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379', 'mymaster')).toEqual({ kind: 'replicas' });
    expect(parseSentinelEvent('+sdown', 'slave 127.0.0.1:6380 127.0.0.1 6380 @ other 127.0.0.1 6379', 'mymaster')).toBeNull();
    expect(parseSentinelEvent('-sdown', 'master mymaster 127.0.0.1 6379', 'mymaster')).toEqual({ kind: 'replicas' });
  });

  it('knows the read-only commands replicas may serve', () => {
    expect(isReadOnlyCommand(['GET', 'k'])).toBe(true);
    expect(isReadOnlyCommand([Buffer.from('hgetall'), 'k'])).toBe(true);
    expect(isReadOnlyCommand(['set', 'k', 'v'])).toBe(false);
    expect(isReadOnlyCommand(['eval', 's', 0])).toBe(false);
  });
});

describe('SentinelCommand', () => {
  function command(readOnly = false) {
    const seen: string[] = [];
    const handler: ResendHandler = {
      onReadOnly: (c) => void seen.push('readonly'),
      onUnsent: (c, e) => void seen.push(`unsent:${(e as RedisError).code}`),
    };
    let outcome: unknown = 'pending';
    const c = new SentinelCommand(['set', 'k', 'v'], { decoder: 'utf8', attributes: false }, (v) => (outcome = v), (e) => (outcome = e), null, 0, handler, 0, readOnly);
    return { c, seen, outcome: () => outcome };
  }

  it('retries READONLY once, then lets the caller see it', () => {
    const { c, seen, outcome } = command();
    const readonly = new ReplyError("READONLY You can't write against a read only replica.");
    c.settle(readonly);
    expect(seen).toEqual(['readonly']);
    expect(outcome()).toBe('pending');
    c.settle(readonly);
    expect(outcome()).toBe(readonly);
  });

  it('re-sends what was never written, never what was in flight', () => {
    const { c, seen, outcome } = command();
    c.fail(new CommunicationError('refused', { code: 'ERR_CONNECT' }));
    c.fail(new ConnectionPoolError('The client is closed', 'ERR_CLIENT_CLOSED'));
    c.fail(new RedisError('127.0.0.1:1 is a slave, not a master', NOT_MASTER));
    expect(seen).toEqual(['unsent:ERR_CONNECT', 'unsent:ERR_CLIENT_CLOSED', `unsent:${NOT_MASTER}`]);
    expect(outcome()).toBe('pending');
    const lost = new CommunicationError('Connection to 127.0.0.1:1 closed', { code: 'ERR_CONNECTION_CLOSED' });
    c.fail(lost);
    expect(outcome()).toBe(lost);
  });

  it('sends a replica read that the replica cannot serve to the master', () => {
    const { c, seen } = command(true);
    c.onReplica = true;
    c.settle(new ReplyError('LOADING Redis is loading the dataset in memory'));
    expect(seen).toEqual(['unsent:LOADING']);
    expect(c.masterOnly).toBe(true);
  });
});

it('asks for the master name before connecting anywhere', () => {
  expect(() => new Redis({ poolFactory: 'sentinel', addresses: [['127.0.0.1', 1]] })).toThrow(TypeError);
  expect(() => new Redis({ poolFactory: 'sentinel', addresses: [['127.0.0.1', 1]] })).toThrow(/sentinelMaster/);
});
