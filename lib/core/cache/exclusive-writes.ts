import type { CommandArg } from '../resp/types.js';
import type { CommandSpecs } from '../commands/command-specs.js';
import type { ClientSideCache } from './client-side-cache.js';
import type { Written } from './written-keys.js';

/**
 * The writes of one exclusive connection (`redis.connection()`), told to the client-side
 * cache of the same client so that its next read sees them: every command drops the keys it
 * may change when its reply arrives, and a transaction drops the keys of every command it
 * queued when EXEC answers (a queued command's own reply, QUEUED, changed nothing yet).
 * Shared by the views (`modify()`) of one connection: MULTI state belongs to the socket.
 */
export class ExclusiveWrites {
  /** Inside MULTI (as sent): what the queued commands may change, dropped at EXEC. */
  private queued: (Written | Promise<Written>)[] | null = null;

  constructor(
    private readonly cache: ClientSideCache,
    private readonly specs: CommandSpecs,
  ) {}

  /** One command sent by `send`; resolves as it does, after the keys it changed are dropped. */
  call<T>(name: string, command: readonly CommandArg[], send: () => Promise<T>): Promise<T> {
    const writes: (Written | Promise<Written>)[] = [];
    this.collect(name, command, writes);
    return writes.length === 0 ? send() : this.cache.around(writes, send());
  }

  /** Commands sent together (MULTI ... EXEC may be among them). */
  batch<T>(commands: readonly (readonly CommandArg[])[], names: readonly string[], send: () => Promise<T>): Promise<T> {
    const writes: (Written | Promise<Written>)[] = [];
    for (let i = 0; i < commands.length; i++) this.collect(names[i], commands[i], writes);
    return writes.length === 0 ? send() : this.cache.around(writes, send());
  }

  /**
   * Follows MULTI/EXEC/DISCARD as sent. A MULTI the server refused (nested) leaves commands
   * running at once: they are dropped at their own reply as well, so the guess costs nothing.
   */
  private collect(name: string, command: readonly CommandArg[], into: (Written | Promise<Written>)[]): void {
    switch (name) {
      case 'multi':
        this.queued ??= [];
        return;
      case 'exec':
        if (this.queued !== null) into.push(...this.queued);
        this.queued = null;
        return;
      case 'discard':
        this.queued = null;
        return;
      case 'watch':
      case 'unwatch':
        return;
    }
    const written = this.cache.written(name, command, this.specs);
    if (Array.isArray(written) && written.length === 0) return;
    into.push(written);
    this.queued?.push(written);
  }
}
