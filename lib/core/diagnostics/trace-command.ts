import type { CommandArg, DecodeSettings } from '../resp/types.js';
import type { ViewSettings } from '../call-args.js';
import { commandName } from '../command-kinds.js';
import { commandChannel, type CommandContext, type PublishedCommand } from './channels.js';
import { redactedArgs } from './redact.js';

/**
 * Runs a `call()` inside `commandChannel.tracePromise`. Only called when the channel has
 * subscribers, so nothing here costs anything otherwise. The view handed to `run` carries
 * the context in its decode settings: the connection that gets the reply records which
 * server answered (and cluster redirects) on it, without any router knowing about tracing.
 */
export function traceCall(name: string, command: readonly CommandArg[], view: ViewSettings, run: (view: ViewSettings) => Promise<unknown>): Promise<unknown> {
  const context: CommandContext = {
    command: name.toUpperCase(),
    args: redactedArgs(name, command),
    database: view.database,
    serverAddress: undefined,
    serverPort: undefined,
    redirects: 0,
  };
  const traced: ViewSettings = { decode: withTrace(view.decode, context), database: view.database };
  return commandChannel.tracePromise(run, context, undefined, traced);
}

/** Runs a `pipeline()` inside `tracePromise`: one event for the whole batch. */
export function tracePipeline<T>(
  commands: readonly (readonly CommandArg[])[],
  settings: readonly DecodeSettings[],
  database: number,
  run: (settings: DecodeSettings[]) => Promise<T>,
): Promise<T> {
  const published: PublishedCommand[] = new Array(commands.length);
  for (let i = 0; i < commands.length; i++) {
    const name = commandName(commands[i][0]);
    published[i] = { command: name.toUpperCase(), args: redactedArgs(name, commands[i]) };
  }
  const context: CommandContext = {
    command: 'PIPELINE',
    args: [],
    database,
    serverAddress: undefined,
    serverPort: undefined,
    redirects: 0,
    batchSize: commands.length,
    commands: published,
  };
  const traced = settings.map((s) => withTrace(s, context));
  return commandChannel.tracePromise(run, context, undefined, traced) as Promise<T>;
}

function withTrace(settings: DecodeSettings, trace: CommandContext): DecodeSettings {
  return { decoder: settings.decoder, attributes: settings.attributes, trace };
}
