import { inspect } from 'node:util';
import { freePort } from '../../lib/testing/index.js';
import { resolveOptions } from '../../lib/core/options.js';
import { NodeSet } from '../../lib/core/routing/node-set.js';
import { checkNatMapped, NatMapVerdicts, type NatMapped } from '../../lib/core/cluster/nat-map-check.js';
import { pendingCall } from '../../lib/core/transport/pending.js';
import type { ServerPool } from '../../lib/core/pool/server-pool.js';
import type { ShardLayout } from '../../lib/core/cluster/slot-map.js';
import { useRedisServer } from '../fixtures.js';

/**
 * Which masters the start-up natMap check asks, and what counts as reached, against real
 * sockets: a password-protected server (its NOAUTH answer proves the address right) and a
 * port where nothing listens. The whole flow on a real cluster is in cluster.test.ts.
 */
const PASSWORD = 'nat-check-secret';
const server = useRedisServer({ password: PASSWORD });

async function nodesFor(natMap: Record<string, [string, number]>, password?: string): Promise<{ nodes: NodeSet; mapped: NatMapped; asked: string[] }> {
  const nodes = new NodeSet(resolveOptions({ addresses: [['127.0.0.1', server.port]], natMap, connectRetry: 0, password }), null);
  const asked: string[] = [];
  const mapped: NatMapped = {
    translate: (host, port) => nodes.translate(host, port),
    announced: (host, port) => {
      asked.push(`${host}:${port}`);
      return nodes.pool(nodes.translate(host, port));
    },
  };
  return { nodes, mapped, asked };
}

const layout = (port: number, online?: boolean): ShardLayout => ({ master: ['10.9.9.9', port], replicas: [], ranges: [[0, 1]], online });

it('asks only the masters natMap moves and the cluster reports healthy; a refusal (NOAUTH) counts as reached', async () => {
  const dead = await freePort();
  const { nodes, mapped, asked } = await nodesFor({ '10.9.9.9:1': ['127.0.0.1', server.port], '10.9.9.9:3': ['127.0.0.1', dead] });
  try {
    // :1 mapped to a live server (no password given: it answers NOAUTH), :2 not mapped, :3 mapped to nothing but reported failed.
    await checkNatMapped([layout(1, true), layout(2, true), layout(3, false)], mapped, 3000);
    expect(asked).toEqual(['10.9.9.9:1']);
  } finally {
    await nodes.close();
  }
});

it('fails with ERR_NATMAP_UNREACHABLE naming every master it could not reach, healthy or not reported, never the password', async () => {
  const [deadA, deadB] = [await freePort(), await freePort()];
  const { nodes, mapped } = await nodesFor({ '10.9.9.9:1': ['127.0.0.1', deadA], '10.9.9.9:2': ['127.0.0.1', deadB], '10.9.9.9:3': ['127.0.0.1', server.port] }, PASSWORD);
  try {
    const err = await checkNatMapped([layout(1, true), layout(2), layout(3, true)], mapped, 3000).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CommunicationError', code: 'ERR_NATMAP_UNREACHABLE' });
    const message = (err as Error).message;
    expect(message).toMatch(/^natMap maps 2 cluster nodes to an unreachable address: /);
    expect(message).toContain(`10.9.9.9:1 (as the cluster announces it) → 127.0.0.1:${deadA} (`);
    expect(message).toContain(`10.9.9.9:2 (as the cluster announces it) → 127.0.0.1:${deadB} (`);
    expect(message).not.toContain(`${server.port}`);
    expect(message).toMatch(/check natMap$/);
    expect(inspect(err)).not.toContain(PASSWORD);
  } finally {
    await nodes.close();
  }
});

describe('NatMapVerdicts (masters first seen after start)', () => {
  it('blames natMap only for a moved master never reached that the cluster does not report failed', async () => {
    const [deadA, deadB] = [await freePort(), await freePort()];
    const { nodes } = await nodesFor({});
    const verdicts = new NatMapVerdicts();
    const ping = (pool: ServerPool) => {
      const { pending, promise } = pendingCall(['PING'], { decoder: 'utf8', attributes: false });
      pool.send(pending, 0);
      return promise.then(
        () => null,
        (err: Error) => err,
      );
    };
    try {
      // 10.9.9.9:1 → nothing; 10.9.9.9:2 → the live server; 127.0.0.1:deadB as announced (not moved).
      const moved = nodes.pool(['127.0.0.1', deadA]);
      verdicts.note('10.9.9.9', 1, ['127.0.0.1', deadA], moved);
      const reached = nodes.pool(['127.0.0.1', server.port]);
      verdicts.note('10.9.9.9', 2, ['127.0.0.1', server.port], reached);
      const unmoved = nodes.pool(['127.0.0.1', deadB]);
      verdicts.note('127.0.0.1', deadB, ['127.0.0.1', deadB], unmoved);

      const refused = (await ping(moved))!;
      expect(refused).toMatchObject({ code: 'ERR_CONNECT' });
      const verdict = verdicts.unreachable(moved, refused, [layout(1, true)]);
      expect(verdict).toMatchObject({ name: 'CommunicationError', code: 'ERR_NATMAP_UNREACHABLE', cause: refused });
      expect(verdict!.message).toContain(`a cluster node to an unreachable address: 10.9.9.9:1 (as the cluster announces it) → 127.0.0.1:${deadA} (`);
      // Not yet in any layout (a MOVED target): the cluster sent us there, so it counts as healthy.
      expect(verdicts.unreachable(moved, refused, [])).not.toBeNull();
      // Reported failed: a failover's business.
      expect(verdicts.unreachable(moved, refused, [layout(1, false)])).toBeNull();
      // Not moved by natMap: its address is the cluster's own.
      expect(verdicts.unreachable(unmoved, (await ping(unmoved))!, [])).toBeNull();
      // Reached once (NOAUTH is an answer): a later failure is an outage, not natMap.
      expect(await ping(reached)).toMatchObject({ name: 'ReplyError', code: 'NOAUTH' });
      expect(reached.everConnected).toBe(true);
      expect(verdicts.unreachable(reached, refused, [layout(2, true)])).toBeNull();
    } finally {
      await nodes.close();
    }
  });
});
