import type { TopicKind } from './subscription.js';

export type TopicAction = 'subscribe' | 'unsubscribe';

/** One SUBSCRIBE-family command written on a push connection, with the names still unanswered. */
export interface SentCommand {
  readonly action: TopicAction;
  readonly kind: TopicKind;
  readonly names: Set<string>;
}

/** The reply kinds that acknowledge one name of a command. */
export const ACKNOWLEDGEMENTS: Readonly<Record<string, { action: TopicAction; kind: TopicKind }>> = {
  subscribe: { action: 'subscribe', kind: 'channel' },
  psubscribe: { action: 'subscribe', kind: 'pattern' },
  ssubscribe: { action: 'subscribe', kind: 'shard' },
  unsubscribe: { action: 'unsubscribe', kind: 'channel' },
  punsubscribe: { action: 'unsubscribe', kind: 'pattern' },
  sunsubscribe: { action: 'unsubscribe', kind: 'shard' },
};

/**
 * The commands of one push connection still waiting for replies, oldest first.
 *
 * Why: in push mode nothing ties a reply to its command. The server answers commands in
 * order, one acknowledgement per name, or a single error reply for the whole command
 * (e.g. `-NOPERM` when the ACL user may not use a channel). So an error reply belongs to
 * the oldest command not fully acknowledged. Acknowledgements are matched by name, so one
 * the server sends unasked (a sharded channel moved away) does not shift the others.
 */
export class SentCommands {
  #commands: SentCommand[] = [];

  add(action: TopicAction, kind: TopicKind, names: readonly string[]): void {
    this.#commands.push({ action, kind, names: new Set(names) });
  }

  /** Marks one name of the oldest matching command as answered. */
  acknowledge(action: TopicAction, kind: TopicKind, name: string): void {
    const i = this.#commands.findIndex((c) => c.action === action && c.kind === kind && c.names.has(name));
    if (i === -1) return;
    const command = this.#commands[i];
    command.names.delete(name);
    if (command.names.size === 0) this.#commands.splice(i, 1);
  }

  /** The command an error reply answers (the oldest one still waiting), or undefined. */
  failOldest(): SentCommand | undefined {
    return this.#commands.shift();
  }

  /** A new connection: nothing written on the old one will be answered. */
  clear(): void {
    this.#commands = [];
  }
}
