import { assertCommandArgs } from '../resp/encoder.js';
import type { CommandArg, DecodeSettings } from '../resp/types.js';
import { applySettings, isPlainObject } from '../call-args.js';
import { validateCallSettings } from '../options.js';

const PER_COMMAND_KEYS: ReadonlySet<string> = new Set(['decoder', 'attributes']);

/**
 * Validates a pipeline: an array of commands, each an array of arguments with an optional
 * trailing `{ decoder, attributes }`. Throws TypeError before anything is sent.
 */
export function parsePipeline(commands: unknown, base: DecodeSettings): { commands: CommandArg[][]; settings: DecodeSettings[] } {
  if (!Array.isArray(commands)) throw new TypeError('pipeline() takes an array of commands, e.g. [["set", "a", "1"], ["get", "a"]]');
  const out: CommandArg[][] = new Array(commands.length);
  const settings: DecodeSettings[] = new Array(commands.length);
  const view = { decode: base, database: 0 };
  for (let i = 0; i < commands.length; i++) {
    let command = commands[i];
    if (!Array.isArray(command)) throw new TypeError(`pipeline() command ${i} must be an array of arguments`);
    let s = base;
    const last = command[command.length - 1];
    if (command.length > 0 && isPlainObject(last)) {
      s = applySettings(view, validateCallSettings(last, PER_COMMAND_KEYS, `pipeline command ${i}`)).decode;
      command = command.slice(0, -1);
    }
    try {
      assertCommandArgs(command as unknown[]);
    } catch (err) {
      throw new TypeError(`pipeline() command ${i}: ${(err as Error).message}`);
    }
    out[i] = command as CommandArg[];
    settings[i] = s;
  }
  return { commands: out, settings };
}
