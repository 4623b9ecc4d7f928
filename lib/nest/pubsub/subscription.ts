import { validateDecoder, type ReplyDecoder } from '../../core/index.js';
import { DEFAULT_REDIS_NAME } from '../justredis.constants.js';
import type { RedisSubscribeOptions, RedisSubscriptionInput, RedisSubscriptionTarget } from '../justredis.interfaces.js';

export type TopicKind = 'channel' | 'pattern' | 'shard';

/** One server-side subscription: a channel, a pattern or a sharded channel. */
export interface Topic {
  readonly kind: TopicKind;
  readonly name: string;
}

/** A validated `@RedisSubscribe()` / `observe()` request. */
export interface NormalizedSubscription {
  readonly client: string;
  readonly decoder: ReplyDecoder;
  readonly topics: readonly Topic[];
}

/** Subscribe and unsubscribe commands, and the push message kind that carries data, per topic kind. */
export const TOPIC_COMMANDS: Record<TopicKind, { subscribe: string; unsubscribe: string; confirm: string }> = {
  channel: { subscribe: 'SUBSCRIBE', unsubscribe: 'UNSUBSCRIBE', confirm: 'subscribe' },
  pattern: { subscribe: 'PSUBSCRIBE', unsubscribe: 'PUNSUBSCRIBE', confirm: 'psubscribe' },
  shard: { subscribe: 'SSUBSCRIBE', unsubscribe: 'SUNSUBSCRIBE', confirm: 'ssubscribe' },
};

export function topicKey(topic: Topic): string {
  return `${topic.kind}:${topic.name}`;
}

const TARGET_KEYS = new Set(['channel', 'pattern', 'shard', 'client', 'decoder']);

/** Validates the decorator's / `observe()`'s arguments; throws a TypeError naming `where`. */
export function normalizeSubscription(input: RedisSubscriptionInput, options: RedisSubscribeOptions | undefined, where: string): NormalizedSubscription {
  let target: RedisSubscriptionTarget;
  if (typeof input === 'string' || Array.isArray(input)) target = { channel: input as string | string[] };
  else if (typeof input === 'object' && input !== null) target = input as RedisSubscriptionTarget;
  else throw new TypeError(`${where}() takes a channel, an array of channels, or { channel | pattern | shard }`);
  for (const key of Object.keys(target)) {
    if (!TARGET_KEYS.has(key)) throw new TypeError(`${where}() does not know "${key}" (allowed: channel, pattern, shard, client, decoder)`);
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError(`${where}() options must be an object`);
  for (const key of Object.keys(options ?? {})) {
    if (key !== 'client' && key !== 'decoder') throw new TypeError(`${where}() option "${key}" is unknown (allowed: client, decoder)`);
  }
  const topics: Topic[] = [];
  for (const kind of ['channel', 'pattern', 'shard'] as const) {
    const value = target[kind];
    if (value === undefined) continue;
    const names = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(names)) throw new TypeError(`${where}() "${kind}" must be a string or an array of strings`);
    for (const name of names) {
      if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${where}() ${kind} names must be non-empty strings`);
      if (!topics.some((t) => t.kind === kind && t.name === name)) topics.push({ kind, name });
    }
  }
  if (topics.length === 0) throw new TypeError(`${where}() needs at least one channel, pattern or shard channel`);
  const client = options?.client ?? target.client ?? DEFAULT_REDIS_NAME;
  if (typeof client !== 'string' || client.length === 0) throw new TypeError(`${where}() "client" must be a non-empty string`);
  const decoder = options?.decoder !== undefined ? options.decoder : target.decoder !== undefined ? target.decoder : 'utf8';
  try {
    validateDecoder(decoder);
  } catch (err) {
    throw new TypeError(`${where}(): ${(err as Error).message}`, { cause: err });
  }
  return { client, decoder, topics };
}
