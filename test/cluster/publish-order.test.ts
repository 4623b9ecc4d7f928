import { tracingChannel } from 'node:diagnostics_channel';
import { Redis, type CommandContext } from '../../lib/core/index.js';
import { useRedisCluster } from '../fixtures.js';

const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });

describe('PUBLISH on a cluster', () => {
  it('goes to one node per channel, so a subscriber gets the messages of a channel in the order they were sent', async () => {
    await using publisher = new Redis({ addresses: cluster.addresses, poolFactory: 'cluster', decoder: 'utf8' });
    await using subscriber = new Redis({ addresses: cluster.addresses, poolFactory: 'cluster', decoder: 'utf8' });
    await using push = await subscriber.connection({ push: true });
    await push.call('subscribe', 'ordered');
    expect(await push.nextMessage({ timeout: 5000 })).toEqual(['subscribe', 'ordered', 1]);

    const ports = new Set<number | undefined>();
    const channel = tracingChannel<unknown, CommandContext>('nestjs-justredis:command');
    const handlers = { asyncEnd: (context: CommandContext) => void ports.add(context.serverPort) };
    channel.subscribe(handlers as never);
    const count = 300;
    try {
      // Fired without waiting for each other: auto-pipelined, spread over the masters if keyless routing applied.
      await Promise.all(Array.from({ length: count }, (_, i) => publisher.call('publish', 'ordered', String(i))));
    } finally {
      channel.unsubscribe(handlers as never);
    }
    expect(ports.size).toBe(1);

    const received: string[] = [];
    for (let i = 0; i < count; i++) {
      const message = (await push.nextMessage({ timeout: 5000 })) as [string, string, string] | null;
      expect(message).not.toBeNull();
      received.push(message![2]);
    }
    expect(received).toEqual(Array.from({ length: count }, (_, i) => String(i)));
  });
});
