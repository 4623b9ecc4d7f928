import type { CallOptions, CallSettings, RespVersion } from '../options.js';
import type { CommandArg, RedisValue } from '../resp/types.js';
import type { CommandArgs, CommandReplies, ContainerName } from './command-table.generated.js';

/*
 * Types that turn the generated command table into `call`/`pipeline` signatures for a client
 * whose decoder is D, RESP version P and attributes flag At (used by api/redis-types.ts and
 * api/connection.ts). Lookups go through interfaces keyed by command name, matched one name at
 * a time, never through a union of every command, so a call site costs a few hundred types
 * whatever the size of the table.
 */

declare const UNTYPED: unique symbol;
/** The decoder parameter of a client that keeps `Promise<any>` replies (`Redis` with no type arguments). */
export type Untyped = typeof UNTYPED;

/** Decoders whose strings keep ASCII text as is, so `'OK'` is the literal `'OK'` (not so `'hex'` or `'base64'`). */
type AsciiDecoder = 'utf8' | 'utf-8' | 'ascii' | 'latin1' | 'binary';

/** What a reply string is for decoder D: a Buffer for `null`, a string for an encoding name. */
export type TextOf<D> = D extends null ? Buffer : D extends string ? string : any;
type KeepsAscii<D> = D extends AsciiDecoder ? true : false;

/** Known command names (lowercase): the completions `call('…')` offers. */
export type KnownCommand = keyof CommandArgs;
/** A command name: a known one in any letter case, or any other (modules, newer servers) with loose arguments. */
export type CommandName = KnownCommand | (string & {});

/**
 * Arguments after the name: the table's tuple for a known command, anything for others.
 * Looked up by matching (`extends { [name]: infer T }`), not by `CommandArgs[Lowercase<N>]`:
 * the compiler takes the constraint of a generic indexed access to be the union of every
 * member, and building that union on each call site made a one-call file check 7× more types.
 */
export type ArgsOf<N extends string> = CommandArgs extends { [K in Lowercase<N>]: infer T extends readonly unknown[] } ? T : (CommandArg | CallOptions)[];

/** The reply table's key: the command, or `container|sub` for a subcommand. */
type ReplyKey<N extends string, Args> =
  Lowercase<N> extends ContainerName ? (Args extends readonly [infer Sub extends string, ...unknown[]] ? `${Lowercase<N>}|${Lowercase<Sub>}` : never) : Lowercase<N>;

/** The reply of a command for decoder D, RESP version P, attributes At. */
export type ReplyFor<D, P extends RespVersion, At, N extends string, Args> = [At] extends [false]
  ? ReplyOfKey<D, P, ReplyKey<N, Args>>
  : [At] extends [true]
    ? RedisValue
    : RedisValue | ReplyOfKey<D, P, ReplyKey<N, Args>>;

/** The reply under a table key (matched, as in `ArgsOf`, not indexed); unknown keys reply any. */
type ReplyOfKey<D, P extends RespVersion, Key> = [Key] extends [never]
  ? any
  : CommandReplies<TextOf<D>, KeepsAscii<D>, P> extends { [K in Key & string]: infer R } ? R : any;

/** The trailing per-call options of an argument list, or `{}`. */
type OptionsIn<Args> = Args extends readonly [...unknown[], infer Last] ? (Last extends CommandArg ? {} : Last) : {};

/** A view's decoder after settings S (`{ decoder: null }` → null; a `CallSettings` variable, whose decoder may be absent → either). */
export type DecoderAfter<D, S> = 'decoder' extends keyof S ? (S extends { decoder: infer X } ? X : D | Exclude<S['decoder' & keyof S], undefined>) : D;
/** A view's attributes flag after settings S. */
export type AttributesAfter<At, S> = 'attributes' extends keyof S ? (S extends { attributes: infer X } ? X : At | Exclude<S['attributes' & keyof S], undefined>) : At;

/** `call()`'s reply: per-call decoder and attributes applied; `endpoint: 'masters'` gives one reply (or error) per master. */
export type CallReply<D, P extends RespVersion, At, N extends string, Args> =
  OptionsIn<Args> extends infer Opt
    ? Opt extends { endpoint: 'masters' }
      ? Map<string, ReplyFor<DecoderAfter<D, Opt>, P, AttributesAfter<At, Opt>, N, Args> | Error>
      : ReplyFor<DecoderAfter<D, Opt>, P, AttributesAfter<At, Opt>, N, Args>
    : never;

/** One command of a pipeline: name, arguments, optional trailing `{ decoder, attributes }`. */
export type PipelineCommand = readonly [name: CommandName, ...args: (CommandArg | CallSettings)[]];

/** A pipeline's commands, each checked as `call` checks its arguments (a command that fails becomes the shape it should have). */
export type CheckedPipeline<C extends readonly unknown[]> = {
  readonly [I in keyof C]: C[I] extends readonly [infer N extends string, ...infer Args] ? (Args extends ArgsOf<N> ? C[I] : readonly [N, ...ArgsOf<N>]) : C[I];
};

/** The replies of a pipeline, one per command, in order. */
export type PipelineReplies<D, P extends RespVersion, At, C extends readonly unknown[]> = {
  -readonly [I in keyof C]: C[I] extends readonly [infer N extends string, ...infer Args] ? CallReply<D, P, At, N, Args> : any;
};

/**
 * `call` and `pipeline` typed for decoder D, RESP version P and attributes flag At: what a
 * typed client (`TypedRedis`) and its exclusive connections (`TypedConnection`) share.
 */
export interface TypedCalls<D, P extends RespVersion, At> {
  /**
   * Sends one command and resolves to its reply, typed from Redis's command table for the
   * decoder and protocol. Command names in any case; unknown commands reply `any`. A trailing
   * plain object holds per-call options (`decoder`, `attributes`; on a client also `database`, `endpoint`).
   */
  call<N extends CommandName, const Args extends ArgsOf<N>>(name: N, ...args: Args): Promise<CallReply<D, P, At, N, Args>>;
  /** Sends the commands together; resolves to a tuple of their typed replies, or rejects with `PipelinedExceptions`. */
  pipeline<const Commands extends readonly PipelineCommand[], const S extends CallSettings = {}>(
    commands: Commands & CheckedPipeline<Commands>,
    options?: S,
  ): Promise<PipelineReplies<DecoderAfter<D, S>, P, AttributesAfter<At, S>, Commands>>;
  /** Commands built at run time (an array, not a literal list): replies `any`. */
  pipeline<const Built extends readonly (readonly unknown[])[]>(commands: number extends Built['length'] ? Built : never, options?: CallSettings): Promise<any[]>;
}

/** The decoder a constructor's options give: absent → null (Buffers); a possibly-absent one (a `RedisOptions` variable) → untyped. */
export type DecoderOption<O> = 'decoder' extends keyof O ? ({} extends Pick<O, 'decoder' & keyof O> ? Untyped : O['decoder' & keyof O]) : null;
/** The RESP version a constructor's options give: absent → 2; unknown → -1 (either). */
export type RespOption<O> = 'respVersion' extends keyof O ? ({} extends Pick<O, 'respVersion' & keyof O> ? -1 : O['respVersion' & keyof O] & RespVersion) : 2;
/** The attributes flag a constructor's options give: absent → false. */
export type AttributesOption<O> = 'attributes' extends keyof O ? ({} extends Pick<O, 'attributes' & keyof O> ? boolean : O['attributes' & keyof O] & boolean) : false;
