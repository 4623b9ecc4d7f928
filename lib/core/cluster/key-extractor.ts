import type { CommandArg } from '../resp/types.js';
import { commandName } from '../command-kinds.js';
import { ReplyError } from '../errors.js';
import { ASK_SERVER, NO_KEY, firstKeyIndex, type CommandSpec } from '../commands/key-specs.js';
import { CommandSpecs, lookupFailed, type QueryServer } from '../commands/command-specs.js';
import { hashSlot } from './hash-slot.js';

/** The slot of a keyless command: it may run on any master. */
export const ANY_SLOT = -1;

/**
 * Finds the slot a command belongs to from the server's own command table (`CommandSpecs`),
 * so new commands and modules route without a list kept in this library. Once a command's
 * spec is loaded, routing it is synchronous.
 */
export class KeyExtractor extends CommandSpecs {
  constructor(
    /** Asks any master (COMMAND INFO, COMMAND GETKEYS). */
    query: QueryServer,
    private readonly encoding: BufferEncoding,
  ) {
    super(query);
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
      const keys = await this.serverKeys(args);
      return keys.length > 0 ? hashSlot(keys[0]) : ANY_SLOT;
    } catch (err) {
      // "The command has no key arguments" / "Invalid arguments": run it anywhere and let
      // the server report the real problem with the real command.
      if (err instanceof ReplyError) return ANY_SLOT;
      throw lookupFailed([commandName(args[0])], 'COMMAND GETKEYS', err);
    }
  }
}
