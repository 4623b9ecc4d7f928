import { MAX_SCAN_ROUNDS, scanKeys, type ScanTarget } from '../../lib/core/scan.js';
import { RedisError } from '../../lib/core/index.js';
import type { SlotOwners } from '../../lib/core/routing/router.js';
import type { Address } from '../../lib/core/options.js';

/*
 * The bound on a cluster scanIterator's rescans: slots that keep moving cannot hold the walk
 * forever. Which masters are walked again after a real reshard is tested against a real
 * cluster (test/cluster/scan-reshard.test.ts); making slots move for ten rounds in a row on a
 * real one is not practical, so the slot maps here are given, and each "server" answers SCAN
 * with one key named after itself, at cursor 0.
 */

const A: Address = ['10.0.0.1', 7000];
const B: Address = ['10.0.0.2', 7000];
const ADDRESSES: Record<string, Address> = { a: A, b: B };

/** All slots on one master (as Topology.slotOwners lists it: only masters serving slots). */
function allOn(owner: string): SlotOwners {
  return { owners: new Array<string>(16384).fill(owner), addresses: new Map([[owner, ADDRESSES[owner]]]) };
}

/** Records the SCANs sent, by endpoint host. */
function target(): ScanTarget & { scanned: string[] } {
  const scanned: string[] = [];
  return {
    scanned,
    async call(...args: unknown[]) {
      const endpoint = (args.at(-1) as { endpoint?: Address }).endpoint;
      const host = endpoint === undefined ? 'any' : endpoint[0];
      scanned.push(host);
      return ['0', [`key@${host}`]];
    },
    async endpoints() {
      return [];
    },
  };
}

async function drain(iterator: AsyncGenerator<unknown>): Promise<{ keys: unknown[]; error: unknown }> {
  const keys: unknown[] = [];
  try {
    for await (const key of iterator) keys.push(key);
    return { keys, error: null };
  } catch (error) {
    return { keys, error };
  }
}

/** Slots below `split` on `low`, the rest on `high`. */
function splitAt(split: number, low: string, high: string): SlotOwners {
  const owners = new Array<string>(16384).fill(low, 0, split).fill(high, split);
  return { owners, addresses: new Map([...new Set([low, high])].map((o) => [o, ADDRESSES[o]] as const)) };
}

it('walks again only the master that gained slots, and stops once a round ends with no move', async () => {
  // Round 1 walks a and b; then a takes some of b's slots: round 2 walks a alone (b lost
  // slots, it gained none); no move after it.
  const maps = [splitAt(8192, 'a', 'b'), splitAt(12000, 'a', 'b'), splitAt(12000, 'a', 'b')];
  let asked = 0;
  const t = target();
  const { keys, error } = await drain(scanKeys(t, undefined, async () => maps[Math.min(asked++, maps.length - 1)]));
  expect(error).toBeNull();
  expect(t.scanned).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.1']);
  expect(keys).toEqual(['key@10.0.0.1', 'key@10.0.0.2', 'key@10.0.0.1']);
  expect(asked).toBe(3);
});

it(`gives up with ERR_CLUSTER_SCAN_UNSTABLE when slots still move after ${MAX_SCAN_ROUNDS} rounds`, async () => {
  let asked = 0;
  const t = target();
  // Every refresh moves all slots to the other master.
  const { keys, error } = await drain(scanKeys(t, undefined, async () => allOn(asked++ % 2 === 0 ? 'a' : 'b')));
  expect(error).toBeInstanceOf(RedisError);
  expect(error).toMatchObject({ code: 'ERR_CLUSTER_SCAN_UNSTABLE' });
  expect((error as Error).message).toContain(`${MAX_SCAN_ROUNDS} rounds`);
  // Exactly MAX_SCAN_ROUNDS walks, each of the master that had just gained the slots.
  expect(t.scanned).toHaveLength(MAX_SCAN_ROUNDS);
  expect(keys).toHaveLength(MAX_SCAN_ROUNDS);
});
