import type { TopicKind } from './subscription.js';

const KIND_NAMES: Record<TopicKind, string> = { channel: 'channel', pattern: 'pattern', shard: 'sharded channel' };

/**
 * The server answered a SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE with an error (an ACL user
 * without permission on the channel gets `-NOPERM`). Names the client, the topic and the
 * server's reason; the server's `ReplyError` is the `cause`.
 */
export class RedisSubscriptionRefusedError extends Error {
  readonly code = 'ERR_SUBSCRIPTION_REFUSED';
  readonly client: string;
  readonly kind: TopicKind;
  readonly topic: string;

  constructor(client: string, kind: TopicKind, topic: string, reason: Error) {
    super(`Redis client "${client}" could not subscribe to ${KIND_NAMES[kind]} "${topic}": the server replied ${reason.message}`, { cause: reason });
    this.name = 'RedisSubscriptionRefusedError';
    this.client = client;
    this.kind = kind;
    this.topic = topic;
  }
}
