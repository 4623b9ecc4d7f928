import { CommunicationError, Redis } from '../../lib/core/index.js';
import { useRedisServer } from '../fixtures.js';

/**
 * A cluster-enabled node that joined no cluster (never MEET, or just `CLUSTER RESET`) describes
 * a cluster of its own with no slots. Believing it would leave a client with no master to send
 * anything to (each call failing in its own way later), so the topology load refuses it:
 * the call fails with `ERR_CLUSTER_EMPTY`, naming the node, not "unreachable".
 */
const lone = useRedisServer({ args: ['--cluster-enabled', 'yes'] });

it('fails with ERR_CLUSTER_EMPTY when the only seed is a cluster node serving no slot', async () => {
  await using redis = new Redis({ address: [lone.host, lone.port], poolFactory: 'cluster', connectRetry: 0 });
  const error = await redis.call('get', 'k').then(() => null, (err: unknown) => err);
  expect(error).toBeInstanceOf(CommunicationError);
  expect(error).toMatchObject({ code: 'ERR_CLUSTER_EMPTY' });
  expect((error as Error).message).toContain(`${lone.host}:${lone.port} reported no master serving any slot`);
  expect((error as Error).message).not.toContain('answered');
});
