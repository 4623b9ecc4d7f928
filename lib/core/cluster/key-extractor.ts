import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { commandName } from '../command-kinds.js';
import { ReplyError } from '../errors.js';
import { ASK_SERVER, NO_KEY, firstKeyIndex, parseCommandInfo, type CommandSpec } from './command-table.js';
import { hashSlot } from './hash-slot.js';

/** Sends a command to any master and resolves to its reply. */
export type QueryAnyNode = (args: readonly CommandArg[], settings: DecodeSettings) => Promise<unknown>;

const UTF8: DecodeSettings = Object.freeze({ decoder: 'utf8', attributes: false });
const RAW: DecodeSettings = Object.freeze({ decoder: null, attributes: false });

/** The slot of a keyless command: it may run on any master. */
export const ANY_SLOT = -1;

/**
 * Finds the slot a command belongs to from the server's own command table, so new
 * commands and modules route without a list kept in this library. `COMMAND INFO` is asked
 * once per command name (names first seen in the same tick share one request) and cached;
 * after that, routing a command is synchronous.
 */
export class KeyExtractor {
  /** `null`: the server does not know the command (it will say so itself; route anywhere). */
  private readonly specs = new Map<string, CommandSpec | null>();
  private readonly loading = new Map<string, Promise<void>>();
  private queued: string[] = [];
  private queuedPromise: Promise<void> | null = null;

  constructor(
    private readonly query: QueryAnyNode,
    private readonly encoding: BufferEncoding,
  ) {}

  /**
   * The spec for a command (its subcommand's, for containers such as OBJECT or XINFO),
   * `null` for a command the server does not know, `undefined` when not loaded yet.
   */
  lookup(name: string, args: readonly CommandArg[]): CommandSpec | null | undefined {
    const spec = this.specs.get(name);
    if (spec == null || spec.subcommands === null || args.length < 2) return spec;
    return spec.subcommands.get(commandName(args[1])) ?? spec;
  }

  /** Loads the specs of `names` (those not known yet) in one `COMMAND INFO`. */
  load(names: readonly string[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const name of names) {
      if (this.specs.has(name)) continue;
      let wait = this.loading.get(name);
      if (wait === undefined) {
        this.queued.push(name);
        wait = this.queuedPromise ??= Promise.resolve().then(() => this.flush());
        this.loading.set(name, wait);
      }
      waits.push(wait);
    }
    return waits.length === 0 ? Promise.resolve() : waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  private async flush(): Promise<void> {
    const names = this.queued;
    this.queued = [];
    this.queuedPromise = null;
    try {
      const reply = await this.query(['COMMAND', 'INFO', ...names], UTF8);
      const entries = Array.isArray(reply) ? reply : [];
      for (let i = 0; i < names.length; i++) this.specs.set(names[i], parseCommandInfo(entries[i]));
    } finally {
      // On failure nothing is cached: the next call asks again.
      for (const name of names) this.loading.delete(name);
    }
  }

  /**
   * The slot of a command with a loaded spec: `ANY_SLOT` when it has no keys; a promise
   * when only the server can place its keys (`COMMAND GETKEYS`).
   *
   * PUBLISH has no key, but the messages of one channel must keep their order: published
   * through different nodes they cross the cluster bus on different links and may overtake
   * each other. So it goes to the master of its channel's slot, one node per channel.
   */
  slotOf(spec: CommandSpec | null, args: readonly CommandArg[]): number | Promise<number> {
    if (spec === null) return ANY_SLOT;
    const index = firstKeyIndex(spec, args);
    if (index === NO_KEY) return args.length > 1 && commandName(args[0]) === 'publish' ? hashSlot(args[1], this.encoding) : ANY_SLOT;
    if (index === ASK_SERVER) return this.askServer(args);
    return hashSlot(args[index], this.encoding);
  }

  /** `COMMAND GETKEYS`: the server's own answer for keys the specs cannot place. */
  private async askServer(args: readonly CommandArg[]): Promise<number> {
    try {
      const keys = await this.query(['COMMAND', 'GETKEYS', ...args], RAW);
      return Array.isArray(keys) && keys.length > 0 ? hashSlot(keys[0] as Buffer) : ANY_SLOT;
    } catch (err) {
      // "The command has no key arguments" / "Invalid arguments": run it anywhere and let
      // the server report the real problem with the real command.
      if (err instanceof ReplyError) return ANY_SLOT;
      throw err;
    }
  }
}
