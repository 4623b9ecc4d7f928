import { inspect } from 'node:util';
import { freePort } from '../../lib/testing/index.js';
import { resolveOptions } from '../../lib/core/options.js';
import { NodeSet } from '../../lib/core/routing/node-set.js';
import { checkNatMapped, type NatMapped } from '../../lib/core/cluster/nat-map-check.js';
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
