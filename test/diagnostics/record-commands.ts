import diagnostics_channel from 'node:diagnostics_channel';
import { COMMAND_CHANNEL, type CommandContext } from '../../lib/core/index.js';

type Phase = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
export interface Recorded {
  phase: Phase;
  context: CommandContext;
  /** A copy at the time of publication: later phases add `result`/`error` to the same object. */
  snapshot: Record<string, unknown>;
}

/** Subscribes to every phase of the command channel until `stop()`. */
export function recordCommands(): { events: Recorded[]; stop(): void } {
  const events: Recorded[] = [];
  const channel = diagnostics_channel.tracingChannel<CommandContext, CommandContext>(COMMAND_CHANNEL);
  const on = (phase: Phase) => (message: unknown) => {
    const context = message as CommandContext;
    events.push({ phase, context, snapshot: { ...context } });
  };
  const handlers = { start: on('start'), end: on('end'), asyncStart: on('asyncStart'), asyncEnd: on('asyncEnd'), error: on('error') };
  channel.subscribe(handlers);
  return { events, stop: () => channel.unsubscribe(handlers) };
}
