import fc from 'fast-check';
import { LruCache } from '../../lib/core/cache/lru-cache.js';
import { slotOfCacheKey } from '../../lib/core/cache/slot-index.js';
import { hashSlot } from '../../lib/core/cluster/hash-slot.js';
import { SlotMap } from '../../lib/core/cluster/slot-map.js';

/**
 * Model-based test of the cache's memory when cluster slots change master: random reads
 * (begun, then settled or still in flight), invalidations, slot drops and clears run against
 * the LruCache and a plain model. After every step the cache holds exactly the model's
 * entries: a dropped slot leaves none of its keys (by their hash slot, hash tags included),
 * other slots keep theirs, and a read in flight for a dropped slot is not stored when it
 * settles. The slot index is built on the first drop, with entries already cached.
 */

/** Keys over a few slots: hash tags put several keys in one slot; one is not ASCII. */
const KEYS = ['{a}1', '{a}2', '{b}1', '{b}2', 'c', 'd', '{a}é', 'caf\xc3\xa9'];
const SLOTS = [...new Set(KEYS.map(slotOfCacheKey))];

interface Model {
  /** signature → key */
  entries: Map<string, string>;
  /** Reads in flight: key and whether they will be stored when they settle. */
  inflight: { key: string; signature: string; mark: { count: number; invalidated: boolean }; spoiled: boolean }[];
}
interface Real {
  lru: LruCache;
}

const signatureOf = (key: string, variant: number) => `get\u0000${key}\u0000${variant}`;

class BeginRead implements fc.Command<Model, Real> {
  constructor(
    readonly key: string,
    readonly variant: number,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    // Reads of one key in flight together share one mark: a read begun after its key was
    // spoiled, while an older read of it is still out, is not stored either (the cache's rule).
    const spoiled = model.inflight.some((read) => read.key === this.key && read.spoiled);
    model.inflight.push({ key: this.key, signature: signatureOf(this.key, this.variant), mark: real.lru.begin(this.key), spoiled });
    compare(model, real);
  }
  toString = () => `begin(${this.key}#${this.variant})`;
}

class SettleRead implements fc.Command<Model, Real> {
  constructor(readonly index: number) {}
  check = (model: Readonly<Model>) => model.inflight.length > 0;
  run(model: Model, real: Real): void {
    const [read] = model.inflight.splice(this.index % model.inflight.length, 1);
    real.lru.settle(read.key, read.signature, read.mark, 'v', true);
    if (!read.spoiled) model.entries.set(read.signature, read.key);
    compare(model, real);
  }
  toString = () => `settle(${this.index})`;
}

class Invalidate implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  run(model: Model, real: Real): void {
    real.lru.invalidate(this.key);
    for (const [signature, key] of model.entries) if (key === this.key) model.entries.delete(signature);
    for (const read of model.inflight) if (read.key === this.key) read.spoiled = true;
    compare(model, real);
  }
  toString = () => `invalidate(${this.key})`;
}

class DropSlots implements fc.Command<Model, Real> {
  constructor(readonly slots: number[]) {}
  check = () => true;
  run(model: Model, real: Real): void {
    real.lru.dropSlots(this.slots);
    const moved = new Set(this.slots);
    for (const [signature, key] of model.entries) if (moved.has(hashSlot(Buffer.from(key, 'latin1')))) model.entries.delete(signature);
    for (const read of model.inflight) if (moved.has(hashSlot(Buffer.from(read.key, 'latin1')))) read.spoiled = true;
    compare(model, real);
  }
  toString = () => `dropSlots(${this.slots.join(',')})`;
}

class Clear implements fc.Command<Model, Real> {
  check = () => true;
  run(model: Model, real: Real): void {
    real.lru.clear();
    model.entries.clear();
    for (const read of model.inflight) read.spoiled = true;
    compare(model, real);
  }
  toString = () => 'clear()';
}

/** The cache holds exactly the model's entries (`get` of every possible signature). */
function compare(model: Model, real: Real): void {
  for (const key of KEYS) {
    for (let variant = 0; variant < 2; variant++) {
      const signature = signatureOf(key, variant);
      expect([signature, real.lru.get(signature)]).toEqual([signature, model.entries.has(signature) ? 'v' : undefined]);
    }
  }
  expect(real.lru.size).toBe(model.entries.size);
}

const key = fc.constantFrom(...KEYS);
const commands = fc.commands(
  [
    fc.tuple(key, fc.integer({ min: 0, max: 1 })).map(([k, v]) => new BeginRead(k, v)),
    fc.nat().map((i) => new SettleRead(i)),
    key.map((k) => new Invalidate(k)),
    fc.subarray(SLOTS, { minLength: 1 }).map((slots) => new DropSlots(slots)),
    fc.constant(new Clear()),
  ],
  { maxCommands: 60 },
);

it('drops exactly the entries (and spoils exactly the reads in flight) of the slots that changed master', () => {
  // The keys really spread over several slots, two of them sharing one through a hash tag.
  expect(SLOTS.length).toBeGreaterThanOrEqual(5);
  expect(slotOfCacheKey('{a}1')).toBe(slotOfCacheKey('{a}é'));
  fc.assert(
    fc.property(commands, (cmds) => {
      const model: Model = { entries: new Map(), inflight: [] };
      const real: Real = { lru: new LruCache(1000, undefined) };
      fc.modelRun(() => ({ model, real }), cmds);
    }),
    { numRuns: 300 },
  );
});

it('a first slot map (every slot "changed") empties the cache', () => {
  const lru = new LruCache(10, undefined);
  lru.settle('k', 'get\u0000k', lru.begin('k'), 'v', true);
  lru.dropSlots(Array.from({ length: 16384 }, (_, slot) => slot));
  expect(lru.size).toBe(0);
});

describe('SlotMap reports the slots whose master changed', () => {
  const from = (ranges: [number, [number, number][]][]) =>
    SlotMap.from(
      ranges.map(([port, r]) => ({ master: ['h', port] as const, replicas: [], ranges: r })),
      (hp) => hp[1],
    );

  it('between two maps: moved slots and new holes, nothing else', () => {
    const before = from([
      [1, [[0, 8191]]],
      [2, [[8192, 16383]]],
    ]);
    const after = from([
      [1, [[0, 99], [101, 8191]]],
      [2, [[100, 100], [8192, 16000]]],
    ]);
    expect(before.changedIn(after)).toEqual([100, ...Array.from({ length: 16383 - 16000 }, (_, i) => 16001 + i)]);
    expect(before.changedIn(before)).toEqual([]);
  });

  it('on assign (MOVED): only when the master differs', () => {
    const map = from([[1, [[0, 16383]]]]);
    expect(map.assign(5, 1)).toBe(false);
    expect(map.assign(5, 2)).toBe(true);
    expect(map.assign(5, 2)).toBe(false);
  });
});
