import type { CommandContext } from '../diagnostics/channels.js';

/**
 * Shapes shared by the RESP encoder and decoder and the layers above them.
 */

/** What a command argument may be. Strings are encoded with the client's `encoder`. */
export type CommandArg = string | Buffer | Uint8Array | number | bigint;

/** How strings in a reply are turned into JS values: `null` keeps Buffers, an encoding name decodes. */
export type ReplyDecoder = BufferEncoding | null;

/** Per-reply decode settings, taken from the call awaiting the reply. */
export interface DecodeSettings {
  readonly decoder: ReplyDecoder;
  readonly attributes: boolean;
  /** Present only while a diagnostics subscriber traces the call: where the connection records who answered. */
  readonly trace?: CommandContext;
}

/** How the client reads the replies to its own queries (HELLO, ROLE, CLUSTER SHARDS, COMMAND INFO, PING...): UTF-8 text, no attributes. */
export const UTF8_REPLIES: DecodeSettings = Object.freeze({ decoder: 'utf8', attributes: false });
/** Replies the client keeps as bytes (key names from COMMAND GETKEYS, keepalive PINGs, push frames by default). */
export const RAW_REPLIES: DecodeSettings = Object.freeze({ decoder: null, attributes: false });

/** RESP type names as seen in `RedisValue.type` when `attributes: true`. */
export type RespTypeName =
  | 'String' // simple string and bulk string
  | 'VerbatimString'
  | 'Error' // simple error and bulk error (only ever seen nested, e.g. inside EXEC results)
  | 'Number' // integer
  | 'Double'
  | 'BigNumber'
  | 'Boolean'
  | 'Null'
  | 'Array'
  | 'Map'
  | 'Set'
  | 'Push';

/**
 * A reply value with its RESP type and RESP3 attributes, returned when `attributes: true`.
 * Children of aggregates are wrapped too; `attrs` is the attribute map that preceded the value
 * (decoded the same way), or `null` (always `null` on RESP2).
 */
export class RedisValue<T = unknown> {
  constructor(
    readonly type: RespTypeName,
    readonly data: T,
    readonly attrs: Map<unknown, unknown> | null,
  ) {}
}

/** Callbacks the decoder reports to. Called synchronously from `feed()`. */
export interface DecoderHandlers {
  /**
   * Settings for the next top-level frame that is not a push frame (the head of the
   * command queue decides). Called once at the start of each such frame.
   */
  replySettings(): DecodeSettings;
  /** Settings for push frames (`>`). Called once at the start of each push frame. */
  pushSettings(): DecodeSettings;
  /** A complete top-level reply. Error replies arrive as `ReplyError` instances (not thrown). */
  onReply(value: unknown): void;
  /** A complete top-level RESP3 push frame (`>`), decoded as an array. */
  onPush(value: unknown): void;
}

export interface DecoderOptions {
  /** Largest bulk string accepted, in bytes; larger lengths are a ProtocolError before allocating. Default 512 MiB. */
  maxBulkLength?: number;
  /**
   * Longest header line accepted (type byte and text before CRLF: simple strings, errors,
   * doubles, big numbers, lengths), in bytes. Bounds the memory a line without CRLF can take.
   * Default 64 KiB.
   */
  maxLineLength?: number;
}
