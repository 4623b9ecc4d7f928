import { jest } from '@jest/globals';
import fc from 'fast-check';
import { Refresher } from '../../../lib/core/routing/refresher.js';

/**
 * Model-based test of the single-flight refresher the cluster topology and the sentinel
 * replica set share: random sequences of schedule / refresh / a run ending (well or not) /
 * time passing / close, against a model of when runs may start. Checked after every step:
 * the same runs started, never two at once, a `refresh()` during a run joins it, requests
 * during a run are merged into one follow-up, and runs start at most every `minGapMs`.
 */

const GAP = 100;

interface Model {
  now: number;
  running: boolean;
  again: boolean;
  /** When the delayed run is due, or null. */
  due: number | null;
  lastEnd: number;
  closed: boolean;
  starts: number;
}

interface Real {
  refresher: Refresher;
  /** Ends of the run under way (one at most). */
  finish: ((ok: boolean) => void) | null;
  starts: number;
  concurrent: number;
  maxConcurrent: number;
}

function start(m: Model): void {
  m.running = true;
  m.starts++;
}

function schedule(m: Model): void {
  if (m.closed) return;
  if (m.running) {
    m.again = true;
    return;
  }
  if (m.due !== null) return;
  const wait = m.lastEnd + GAP - m.now;
  if (wait > 0) m.due = m.now + wait;
  else start(m);
}

/** Lets the promise chains of a finished run (finally, the follow-up) settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function check(m: Model, r: Real): void {
  expect(r.starts).toBe(m.starts);
  expect(r.refresher.current !== null).toBe(m.running);
  expect(r.maxConcurrent).toBeLessThanOrEqual(1);
}

class Schedule implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    schedule(m);
    r.refresher.schedule();
    await settle();
    check(m, r);
  }
  toString = () => 'schedule';
}

class Refresh implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    const before = r.refresher.current;
    if (!m.running) start(m);
    const joined = r.refresher.refresh();
    joined.catch(() => {});
    if (before !== null) expect(joined).toBe(before);
    await settle();
    check(m, r);
  }
  toString = () => 'refresh';
}

class Finish implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ok: boolean) {}
  check = (m: Readonly<Model>) => m.running;
  async run(m: Model, r: Real) {
    m.running = false;
    m.lastEnd = m.now;
    if (m.again) {
      m.again = false;
      schedule(m);
    }
    r.finish!(this.ok);
    await settle();
    check(m, r);
  }
  toString = () => `finish(${this.ok ? 'ok' : 'failed'})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.now += this.ms;
    if (m.due !== null && m.due <= m.now) {
      m.due = null;
      if (!m.running) start(m);
    }
    jest.advanceTimersByTime(this.ms);
    await settle();
    check(m, r);
  }
  toString = () => `advance(${this.ms})`;
}

class Close implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    m.closed = true;
    m.due = null;
    r.refresher.close();
    await settle();
    check(m, r);
  }
  toString = () => 'close';
}

const commands = [
  fc.constant(new Schedule()),
  fc.constant(new Refresh()),
  fc.boolean().map((ok) => new Finish(ok)),
  fc.integer({ min: 1, max: 3 * GAP }).map((ms) => new Advance(ms)),
  fc.constant(new Close()),
];

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

test('runs one at a time, merges requests into one follow-up, and keeps the minimum gap (model-based)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
      jest.setSystemTime(1_000_000);
      jest.clearAllTimers();
      const real: Real = { refresher: null as unknown as Refresher, finish: null, starts: 0, concurrent: 0, maxConcurrent: 0 };
      real.refresher = new Refresher(
        () =>
          new Promise<void>((resolve, reject) => {
            real.starts++;
            real.concurrent++;
            real.maxConcurrent = Math.max(real.maxConcurrent, real.concurrent);
            real.finish = (ok) => {
              real.finish = null;
              real.concurrent--;
              if (ok) resolve();
              else reject(new Error('refresh failed'));
            };
          }),
        GAP,
      );
      const model: Model = { now: 1_000_000, running: false, again: false, due: null, lastEnd: 0, closed: false, starts: 0 };
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      real.refresher.close();
    }),
    { numRuns: 200 },
  );
});
