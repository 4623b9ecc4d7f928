import fc from 'fast-check';
import { Observable } from 'rxjs';
import { HandlerQueue } from '../../lib/nest/pubsub/handler-queue.js';
import { MAX_DURATION } from '../../lib/nest/justredis.constants.js';

/*
 * Model-based test of the per-handler queue: random pushes of messages whose handler call
 * returns a plain value, throws, returns a Promise or an Observable (settled later, by the
 * test, with success or failure), interleaved with settling the running call and a drain.
 * After every step the real queue's calls and reported errors must match the model's:
 * one call at a time, in arrival order, every failure reported once, nothing after a drain.
 */

type Kind = 'value' | 'throw' | 'promise' | 'observable';
interface Item {
  readonly id: number;
  readonly kind: Kind;
}

interface Model {
  queued: Item[];
  running: Item | null;
  calls: number[];
  errors: number[];
  draining: boolean;
  nextId: number;
}

interface Real {
  queue: HandlerQueue<Item>;
  calls: number[];
  errors: number[];
  active: number;
  maxActive: number;
  settleRunning: ((ok: boolean) => void) | null;
  drained: Promise<unknown> | null;
}

/** Lets every pending promise callback run (no timer involved). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function advance(m: Model): void {
  while (m.running === null && m.queued.length > 0) {
    const item = m.queued.shift()!;
    m.calls.push(item.id);
    if (item.kind === 'throw') m.errors.push(item.id);
    else if (item.kind === 'promise' || item.kind === 'observable') m.running = item;
  }
}

class Push implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: Kind) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const item = { id: m.nextId++, kind: this.kind };
    r.queue.push(item);
    if (!m.draining) {
      m.queued.push(item);
      advance(m);
    }
    await flush();
    expect(r.calls).toEqual(m.calls);
    expect(r.errors).toEqual(m.errors);
    expect(r.queue.busy).toBe(m.running !== null || m.queued.length > 0);
  }
  toString = () => `push(${this.kind})`;
}

class Settle implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ok: boolean) {}
  check = (m: Readonly<Model>) => m.running !== null;
  async run(m: Model, r: Real): Promise<void> {
    const running = m.running!;
    m.running = null;
    if (!this.ok) m.errors.push(running.id);
    advance(m);
    r.settleRunning!(this.ok);
    await flush();
    expect(r.calls).toEqual(m.calls);
    expect(r.errors).toEqual(m.errors);
    expect(r.maxActive).toBe(1);
  }
  toString = () => `settle(${this.ok})`;
}

class Drain implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => !m.draining;
  async run(m: Model, r: Real): Promise<void> {
    m.draining = true;
    r.drained = r.queue.drain(MAX_DURATION);
    await flush();
  }
  toString = () => 'drain';
}

function realQueue(): Real {
  const real: Real = {
    calls: [],
    errors: [],
    active: 0,
    maxActive: 0,
    settleRunning: null,
    drained: null,
    queue: undefined as never,
  };
  const enter = () => {
    real.active++;
    real.maxActive = Math.max(real.maxActive, real.active);
  };
  real.queue = new HandlerQueue<Item>(
    (item) => {
      real.calls.push(item.id);
      enter();
      switch (item.kind) {
        case 'value':
          real.active--;
          return item.id;
        case 'throw':
          real.active--;
          throw new Error(`failed ${item.id}`);
        case 'promise':
          return new Promise<void>((resolve, reject) => {
            real.settleRunning = (ok) => {
              real.active--;
              real.settleRunning = null;
              if (ok) resolve();
              else reject(new Error(`rejected ${item.id}`));
            };
          });
        case 'observable':
          return new Observable<number>((subscriber) => {
            real.settleRunning = (ok) => {
              real.active--;
              real.settleRunning = null;
              if (ok) {
                subscriber.next(item.id);
                subscriber.complete();
              } else subscriber.error(new Error(`errored ${item.id}`));
            };
          });
      }
    },
    (_error, item) => real.errors.push(item.id),
  );
  return real;
}

it('runs calls one at a time in arrival order, reports each failure once, and drains what it already had', async () => {
  const commands = fc.commands(
    [
      fc.constantFrom<Kind>('value', 'throw', 'promise', 'observable').map((kind) => new Push(kind)),
      fc.boolean().map((ok) => new Settle(ok)),
      fc.constant(new Drain()),
    ],
    { maxCommands: 40 },
  );
  await fc.assert(
    fc.asyncProperty(commands, async (cmds) => {
      const model: Model = { queued: [], running: null, calls: [], errors: [], draining: false, nextId: 0 };
      const real = realQueue();
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      // Finish: settle what runs, then a drain (started now if not before) resolves with nothing abandoned.
      const drained = real.drained ?? real.queue.drain(MAX_DURATION);
      while (model.running !== null) await new Settle(true).run(model, real);
      expect(await drained).toBeNull();
      expect(real.queue.busy).toBe(false);
    }),
    { numRuns: 150 },
  );
});
