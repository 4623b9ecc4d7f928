import fc from 'fast-check';
import { crc16, crc16Utf8 } from '../../lib/core/cluster/crc16.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import { SlotMap, parseClusterShards, parseClusterSlots } from '../../lib/core/cluster/slot-map.js';
import { ASK_SERVER, NO_KEY, firstKeyIndex, parseCommandInfo } from '../../lib/core/commands/key-specs.js';
import { MULTI_KEY, mergeParts, splitBySlot } from '../../lib/core/cluster/multi-key.js';
import { parseRedirect } from '../../lib/core/cluster/routed-command.js';
import { ANY_SLOT, KeyExtractor } from '../../lib/core/cluster/key-extractor.js';
import { ReplyError } from '../../lib/core/errors.js';
import { RedisValue } from '../../lib/core/resp/types.js';

/** A RESP2 flat key/value array → the RESP3 shape (Map, with sets for flags) of the same data. */
function asResp3(flat: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i < flat.length; i += 2) {
    const v = flat[i + 1];
    m.set(flat[i] as string, Array.isArray(v) && v.length > 0 && typeof v[0] === 'string' && v.length % 2 === 0 && flat[i] !== 'flags' ? asResp3(v) : flat[i] === 'flags' ? new Set(v as string[]) : v);
  }
  return m;
}

describe('CRC16 and hash slots', () => {
  it('matches the XMODEM check value and the spec examples', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(hashSlot('foo')).toBe(12182);
    expect(hashSlot('bar')).toBe(5061);
    expect(hashSlot(Buffer.from('foo'))).toBe(12182);
    expect(hashSlot(123)).toBe(hashSlot('123'));
    expect(hashSlot(123n)).toBe(hashSlot('123'));
    expect(hashSlot(1e21)).toBe(hashSlot('1000000000000000000000'));
    expect(hashSlot(Infinity)).toBe(hashSlot('inf'));
  });

  it('applies hash tags as the spec defines them: first "{", then the first "}" after it', () => {
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('{user1000}.followers'));
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
    // Empty tag: the whole key is hashed.
    expect(hashSlot('foo{}{bar}')).toBe(crc16(Buffer.from('foo{}{bar}')) & 16383);
    // The tag is "{bar" (from the first "{" to the first "}" after it).
    expect(hashSlot('foo{{bar}}zap')).toBe(hashSlot('{bar'));
    expect(hashSlot('foo{bar}{zap}')).toBe(hashSlot('bar'));
    // A "}" before the first "{" does not count (the reference's defect).
    expect(hashSlot('a}b{c}')).toBe(hashSlot('c'));
    expect(hashSlot('no{close')).toBe(crc16(Buffer.from('no{close')) & 16383);
    expect(hashSlot(Buffer.from('a}b{c}'))).toBe(hashSlot('c'));
  });

  it('hashes strings exactly as their UTF-8 bytes (no Buffer needed), including lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(crc16Utf8(s)).toBe(crc16(Buffer.from(s, 'utf8')));
        expect(hashSlot(s)).toBe(hashSlot(Buffer.from(s, 'utf8')));
      }),
      { numRuns: 500 },
    );
    expect(hashSlot('\ud800x')).toBe(hashSlot(Buffer.from('\ud800x')));
  });

  it('hashes strings with the client encoder when it is not UTF-8', () => {
    expect(hashSlot('é', 'latin1')).toBe(hashSlot(Buffer.from([0xe9])));
  });
});

describe('slot map', () => {
  const shardsResp2 = [
    ['slots', [0, 5460, 10923, 10999], 'nodes', [
      ['id', 'a', 'port', 7000, 'ip', '10.0.0.1', 'endpoint', '10.0.0.1', 'role', 'master', 'replication-offset', 1, 'health', 'online'],
      ['id', 'b', 'port', 7003, 'ip', '10.0.0.4', 'endpoint', '10.0.0.4', 'role', 'replica', 'replication-offset', 1, 'health', 'online'],
      ['id', 'c', 'port', 7006, 'ip', '10.0.0.7', 'endpoint', '10.0.0.7', 'role', 'replica', 'replication-offset', 0, 'health', 'fail'],
      ['id', 'e', 'port', 7009, 'ip', '10.0.0.9', 'endpoint', '10.0.0.9', 'role', 'replica', 'replication-offset', 0, 'health', 'loading'],
    ]],
    ['slots', [5461, 10922], 'nodes', [
      ['id', 'd', 'port', 7001, 'ip', '10.0.0.2', 'endpoint', '', 'role', 'master', 'replication-offset', 1, 'health', 'online'],
    ]],
    // A killed master after its replica took over: no slots, health fail — not a master of ours.
    ['slots', [], 'nodes', [
      ['id', 'f', 'port', 7002, 'ip', '10.0.0.3', 'endpoint', '10.0.0.3', 'role', 'master', 'replication-offset', 1, 'health', 'fail'],
    ]],
  ];

  it('parses CLUSTER SHARDS under RESP2 and RESP3 alike, leaving out failed replicas', () => {
    const resp3 = shardsResp2.map((s) => new Map<string, unknown>([
      ['slots', s[1]],
      ['nodes', (s[3] as unknown[][]).map((n) => asResp3(n))],
    ]));
    for (const reply of [shardsResp2, resp3]) {
      const layouts = parseClusterShards(reply, ['seed.example', 7000], false);
      expect(layouts).toEqual([
        { master: ['10.0.0.1', 7000], replicas: [['10.0.0.4', 7003], ['10.0.0.9', 7009]], ranges: [[0, 5460], [10923, 10999]], online: true },
        { master: ['seed.example', 7001], replicas: [], ranges: [[5461, 10922]], online: true },
      ]);
    }
  });

  it('parses CLUSTER SLOTS, merging ranges of one master', () => {
    const reply = [
      [0, 99, ['10.0.0.1', 7000, 'a'], ['10.0.0.4', 7003, 'b']],
      [200, 299, ['10.0.0.1', 7000, 'a'], ['10.0.0.4', 7003, 'b']],
      [100, 199, ['', 7001, 'd']],
    ];
    expect(parseClusterSlots(reply, ['seed', 1])).toEqual([
      { master: ['10.0.0.1', 7000], replicas: [['10.0.0.4', 7003]], ranges: [[0, 99], [200, 299]] },
      { master: ['seed', 7001], replicas: [], ranges: [[100, 199]] },
    ]);
  });

  it('looks slots up in O(1), reports holes, and applies MOVED at once', () => {
    const map = SlotMap.from(parseClusterShards(shardsResp2, ['seed', 7000], false), (hp) => `${hp[0]}:${hp[1]}`);
    expect(map.masterFor(0)).toBe('10.0.0.1:7000');
    expect(map.masterFor(10999)).toBe('10.0.0.1:7000');
    expect(map.masterFor(6000)).toBe('seed:7001');
    expect(map.shardFor(12000)).toBeUndefined();
    expect(map.holes()).toBe(16384 - 11000);
    map.assign(12000, 'new:1');
    map.assign(0, 'seed:7001');
    expect(map.masterFor(12000)).toBe('new:1');
    expect(map.masterFor(0)).toBe('seed:7001');
    expect(map.masters()).toEqual(['10.0.0.1:7000', 'seed:7001', 'new:1']);
  });

  it('parses redirects, including IPv6 and empty hosts', () => {
    expect(parseRedirect('MOVED 3999 127.0.0.1:6381')).toEqual({ slot: 3999, host: '127.0.0.1', port: 6381 });
    expect(parseRedirect('ASK 1 [::1]:7000')).toEqual({ slot: 1, host: '::1', port: 7000 });
    expect(parseRedirect('MOVED 1 :7000')).toEqual({ slot: 1, host: '', port: 7000 });
    expect(parseRedirect('MOVED nonsense')).toBeNull();
  });
});

describe('command table', () => {
  // Entries as Redis 7.0 sends them under RESP2 (COMMAND INFO get eval xread sort object).
  const get = ['get', 2, ['readonly', 'fast'], 1, 1, 1, ['@read'], [], [['flags', ['RO', 'access'], 'begin_search', ['type', 'index', 'spec', ['index', 1]], 'find_keys', ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]]]], []];
  const evalInfo = ['eval', -3, ['noscript', 'movablekeys'], 0, 0, 0, [], [], [['flags', ['RW'], 'begin_search', ['type', 'index', 'spec', ['index', 2]], 'find_keys', ['type', 'keynum', 'spec', ['keynumidx', 0, 'firstkey', 1, 'keystep', 1]]]], []];
  const xread = ['xread', -4, ['readonly', 'blocking', 'movablekeys'], 0, 0, 0, [], [], [['flags', ['RO'], 'begin_search', ['type', 'keyword', 'spec', ['keyword', 'STREAMS', 'startfrom', 1]], 'find_keys', ['type', 'range', 'spec', ['lastkey', -1, 'keystep', 1, 'limit', 2]]]], []];
  const sort = ['sort', -2, ['write', 'movablekeys'], 1, 1, 1, [], [], [
    ['flags', ['RO'], 'begin_search', ['type', 'index', 'spec', ['index', 1]], 'find_keys', ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]]],
    ['flags', ['RO'], 'begin_search', ['type', 'unknown', 'spec', []], 'find_keys', ['type', 'unknown', 'spec', []]],
  ], []];
  const object = ['object', -2, [], 0, 0, 0, [], [], [], [
    ['object|encoding', 3, ['readonly'], 2, 2, 1, [], [], [['flags', ['RO'], 'begin_search', ['type', 'index', 'spec', ['index', 2]], 'find_keys', ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]]]], []],
  ]];

  /** The same entry as RESP3 decodes it: flags as sets, key specs as maps. */
  function resp3Entry(entry: unknown[]): unknown[] {
    const e = [...entry];
    e[2] = new Set(e[2] as string[]);
    e[8] = (e[8] as unknown[][]).map((spec) => {
      const m = asResp3(spec);
      m.set('flags', new Set((spec[1] as string[]) ?? []));
      return m;
    });
    e[9] = (e[9] as unknown[][]).map(resp3Entry);
    return e;
  }

  for (const [protocol, shape] of [['RESP2', (e: unknown[]) => e], ['RESP3', resp3Entry]] as const) {
    it(`finds first keys from ${protocol} entries, evaluating key specs for movable keys`, () => {
      const spec = (e: unknown[]) => parseCommandInfo(shape(e))!;
      expect(spec(get).readonly).toBe(true);
      expect(firstKeyIndex(spec(get), ['get', 'k'])).toBe(1);
      expect(firstKeyIndex(spec(evalInfo), ['eval', 'return 1', '2', 'k1', 'k2'])).toBe(3);
      expect(firstKeyIndex(spec(evalInfo), ['eval', 'return 1', 0])).toBe(NO_KEY);
      expect(firstKeyIndex(spec(xread), ['XREAD', 'COUNT', '2', 'STREAMS', 's1', 's2', '0', '0'])).toBe(4);
      expect(firstKeyIndex(spec(xread), ['xread', 'block', '10', 'streams', 's1', '$'])).toBe(4);
      expect(firstKeyIndex(spec(sort), ['sort', 'k', 'by', 'w_*'])).toBe(1);
      const container = spec(object);
      expect(container.subcommands!.get('encoding')!.readonly).toBe(true);
      expect(firstKeyIndex(container.subcommands!.get('encoding')!, ['object', 'encoding', 'k'])).toBe(2);
    });
  }

  it('asks the server with COMMAND GETKEYS when movable keys have no usable spec (servers before 7.0)', async () => {
    const old = parseCommandInfo(['eval', -3, ['noscript', 'movablekeys'], 0, 0, 0])!;
    expect(firstKeyIndex(old, ['eval', 'x', 1, 'k'])).toBe(ASK_SERVER);
    expect(parseCommandInfo(null)).toBeNull();

    const sent: unknown[][] = [];
    const keys = new KeyExtractor(async (args) => {
      sent.push([...args]);
      if (args[1] === 'INFO') return [['eval', -3, ['noscript', 'movablekeys'], 0, 0, 0], null];
      if (args[4] === 0) throw new ReplyError('ERR The command has no key arguments');
      return [Buffer.from('{t}k')];
    }, 'utf8');
    await keys.load(['eval', 'nosuchcommand']);
    // Names asked for in the same tick share one COMMAND INFO.
    expect(sent).toEqual([['COMMAND', 'INFO', 'eval', 'nosuchcommand']]);
    expect(keys.lookup('nosuchcommand', ['nosuchcommand'])).toBeNull();
    const spec = keys.lookup('eval', ['eval'])!;
    expect(await keys.slotOf(spec, ['eval', 'return 1', 1, '{t}k'])).toBe(hashSlot('t'));
    expect(sent[1]).toEqual(['COMMAND', 'GETKEYS', 'eval', 'return 1', 1, '{t}k']);
    expect(await keys.slotOf(spec, ['eval', 'return 1', 0])).toBe(ANY_SLOT);
    expect(keys.slotOf(null, ['nosuchcommand'])).toBe(ANY_SLOT);
  });
});

describe('multi-key split and merge', () => {
  const enc = 'utf8';
  it('leaves single-slot commands alone and splits the rest per slot', () => {
    expect(splitBySlot(['mget', '{a}1', '{a}2'], MULTI_KEY.get('mget')!, enc)).toBeNull();
    expect(splitBySlot(['mset', 'a', '1', 'b'], MULTI_KEY.get('mset')!, enc)).toBeNull();
    const parts = splitBySlot(['mget', 'a', 'b', '{a}x', 'c'], MULTI_KEY.get('mget')!, enc)!;
    expect(parts.map((p) => p.args)).toEqual([['mget', 'a', '{a}x'], ['mget', 'b'], ['mget', 'c']]);
    expect(mergeParts(MULTI_KEY.get('mget')!, parts, [['1', '3'], ['2'], [null]], false)).toEqual(['1', '2', '3', null]);
    const mset = splitBySlot(['mset', 'a', '1', 'b', '2'], MULTI_KEY.get('mset')!, enc)!;
    expect(mset.map((p) => p.args)).toEqual([['mset', 'a', '1'], ['mset', 'b', '2']]);
  });

  it('sums counts and keeps RESP3 attribute wrappers', () => {
    const kind = MULTI_KEY.get('del')!;
    const parts = splitBySlot(['del', 'a', 'b'], kind, enc)!;
    expect(mergeParts(kind, parts, [1, 1], false)).toBe(2);
    const wrapped = mergeParts(kind, parts, [new RedisValue('Number', 1, null), new RedisValue('Number', 0, null)], true) as RedisValue;
    expect(wrapped).toBeInstanceOf(RedisValue);
    expect(wrapped.data).toBe(1);
  });
});
