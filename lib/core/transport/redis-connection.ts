import type { Socket } from 'node:net';
import { RespDecoder } from '../resp/decoder.js';
import { CommandEncoder } from '../resp/encoder.js';
import { type DecodeSettings, type DecoderHandlers, RAW_REPLIES } from '../resp/types.js';
import { closedByClientError, CommunicationError, ProtocolError, RedisError } from '../errors.js';
import type { Address } from '../options.js';
import { formatAddress } from '../options.js';
import { Fifo } from './fifo.js';
import { Pending } from './pending.js';
import { noteAnswer, noteFailure, publishDisconnect } from '../diagnostics/channels.js';

/** Told once when a connection is discarded: the reason, and the calls that were never written. */
export type CloseHandler = (error: Error, unsent: Pending[]) => void;

/** Argument of the keepalive PING in push mode, so its answer is told apart from the user's. */
const KEEPALIVE_TOKEN = '__justredis_keepalive__';

export interface ConnectionSettings {
  readonly cutoffSize: number;
  readonly encoder: BufferEncoding;
  readonly maxBulkLength: number;
  readonly socketTimeout: number | undefined;
}

/** Settings used to decode frames nobody asked for (push frames, or a reply with no caller). */

/** How long `close()` waits for replies to calls already written before failing them. */
const CLOSE_GRACE_MS = 2000;

/** Longest delay a Node timer keeps (a signed 32-bit ms count). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One socket speaking RESP: a write queue (`unsent`), replies matched first-in, first-out
 * against `inflight`, push frames routed to `onPush`. Commands issued in the same
 * event-loop turn leave in one write (automatic pipelining).
 *
 * A failure of any kind (socket error, close, bad bytes, socket timeout) discards the
 * connection: calls already written fail (a write may have happened, so they are never
 * re-sent), calls not yet written are handed to the close handler for the owner to send elsewhere.
 *
 * Its owner (a pool's shared slot, or the lease of a borrower) configures it through
 * methods (`setCloseHandler`, `listenPush`, `enterPushMode`); nobody else sets its fields.
 */
export class RedisConnection implements DecoderHandlers {
  readonly where: string;
  /** The protocol the handshake settled on. */
  protocol: 2 | 3 = 2;

  /** Every frame is a message (a subscribed connection); calls resolve when written. */
  private pushMode = false;
  /** Receives push frames (and, in push mode, every frame). */
  private pushListener: ((value: unknown) => void) | null = null;
  /** How push frames are decoded; Buffers by default so listeners can decode per message. */
  private pushDecode: DecodeSettings = RAW_REPLIES;
  /** The one owner told when the connection is discarded, with the calls never written. */
  private closeHandler: CloseHandler | null = null;
  /** Push mode with a socket timeout: the idle check, and what it last saw. */
  private keepalive: NodeJS.Timeout | null = null;
  private heardAt = 0;
  private pingSentAt = 0;
  private pongsExpected = 0;
  /** Set by `connect()` once the handshake succeeded; only such connections publish a disconnect. */
  announced = false;

  private readonly unsent = new Fifo<Pending>();
  private readonly inflight = new Fifo<Pending>();
  private readonly decoder: RespDecoder;
  private readonly encoder: CommandEncoder;
  private flushScheduled = false;
  private waitingDrain = false;
  private timer: NodeJS.Timeout | null = null;
  private closedWith: Error | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly flushBound = () => this.flush();
  /** Settles once the OS socket is really gone, so `close()` leaves no handle behind. */
  readonly socketClosed: Promise<void>;

  constructor(
    readonly socket: Socket,
    readonly address: Address,
    private readonly settings: ConnectionSettings,
  ) {
    this.where = formatAddress(address);
    this.socketClosed = socket.destroyed && socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
    this.decoder = new RespDecoder(this, { maxBulkLength: settings.maxBulkLength });
    this.encoder = new CommandEncoder({ cutoffSize: settings.cutoffSize, encoding: settings.encoder });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.destroy(new CommunicationError(`Connection to ${this.where} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.destroy(new CommunicationError(`Connection to ${this.where} closed`, { code: 'ERR_CONNECTION_CLOSED' })));
    socket.on('drain', () => {
      if (this.waitingDrain) {
        this.waitingDrain = false;
        this.flush();
      }
    });
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Calls written and still waiting for a reply. */
  get inflightCount(): number {
    return this.inflight.length;
  }

  get idle(): boolean {
    return this.inflight.length === 0 && this.unsent.length === 0;
  }

  /** Whether every frame is a message (set by `enterPushMode`). */
  get inPushMode(): boolean {
    return this.pushMode;
  }

  /** Sets (or clears) the one handler told when this connection is discarded. */
  setCloseHandler(handler: CloseHandler | null): void {
    this.closeHandler = handler;
  }

  /** Receives out-of-band push frames (RESP3 invalidations) while replies keep their callers. */
  listenPush(listener: (value: unknown) => void): void {
    this.pushListener = listener;
  }

  /**
   * From now on every frame is a message for `listener` and calls resolve once written.
   * With a socket timeout the connection PINGs when idle for that long and is discarded
   * (ERR_SOCKET_TIMEOUT) when nothing at all arrives within another `socketTimeout`.
   */
  enterPushMode(listener: (value: unknown) => void, decode: DecodeSettings): void {
    this.pushMode = true;
    this.pushDecode = decode;
    this.pushListener = listener;
    const timeout = this.settings.socketTimeout;
    if (timeout !== undefined && this.closedWith === null) {
      this.heardAt = Date.now();
      this.scheduleKeepalive(timeout);
    }
  }

  private scheduleKeepalive(delay: number): void {
    this.keepalive = setTimeout(() => this.checkAlive(), Math.max(1, delay));
    this.keepalive.unref();
  }

  /** Push mode: PING after `socketTimeout` of silence; discard when the PING gets nothing back in time. */
  private checkAlive(): void {
    this.keepalive = null;
    if (this.closedWith !== null) return;
    const timeout = this.settings.socketTimeout!;
    const now = Date.now();
    if (this.pingSentAt > this.heardAt) {
      if (now - this.pingSentAt >= timeout) {
        this.destroy(new CommunicationError(`Timed out after ${timeout} ms waiting for ${this.where} to answer a keepalive PING`, { code: 'ERR_SOCKET_TIMEOUT' }));
        return;
      }
      this.scheduleKeepalive(this.pingSentAt + timeout - now);
      return;
    }
    const silent = now - this.heardAt;
    if (silent < timeout) {
      this.scheduleKeepalive(timeout - silent);
      return;
    }
    this.pingSentAt = now;
    this.pongsExpected++;
    this.send(new Pending(['PING', KEEPALIVE_TOKEN], RAW_REPLIES, noop, noop, null, 0, 0));
    this.scheduleKeepalive(timeout);
  }

  /** The answer to a keepalive PING: the token as a reply (RESP3, unsubscribed) or `pong` message (RESP2 subscribed). */
  private isKeepalivePong(frame: unknown): boolean {
    // Push frames may be decoded with attributes (type wrappers): look at the data inside.
    const value = this.pushDecode.attributes ? unwrap(frame) : frame;
    if (Array.isArray(value)) {
      if (value.length !== 2) return false;
      const [kind, token] = this.pushDecode.attributes ? [unwrap(value[0]), unwrap(value[1])] : value;
      return String(kind).toLowerCase() === 'pong' && String(token) === KEEPALIVE_TOKEN;
    }
    return (typeof value === 'string' || Buffer.isBuffer(value)) && String(value) === KEEPALIVE_TOKEN;
  }

  /** Queues a command; it is written with everything else queued in this turn. */
  send(pending: Pending): void {
    if (this.closedWith !== null) {
      pending.fail(this.closedWith);
      return;
    }
    this.unsent.push(pending);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushBound);
    }
  }

  sendMany(pendings: readonly Pending[]): void {
    for (let i = 0; i < pendings.length; i++) this.send(pendings[i]);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closedWith !== null || this.unsent.length === 0) return;
    if (this.socket.writableNeedDrain) {
      // Explicit backpressure: keep calls unsent (still safe to re-route) until the socket drains.
      this.waitingDrain = true;
      return;
    }
    const timeout = this.settings.socketTimeout;
    const now = timeout === undefined ? 0 : Date.now();
    const wasIdle = this.inflight.length === 0;
    const written: Pending[] | null = this.pushMode ? [] : null;
    let p: Pending | undefined;
    while ((p = this.unsent.shift()) !== undefined) {
      this.encoder.push(p.args);
      if (written !== null) written.push(p);
      else {
        if (timeout !== undefined) p.deadline = now + timeout + p.blockMs;
        this.inflight.push(p);
      }
    }
    const chunks = this.encoder.take();
    if (chunks.length === 1) this.socket.write(chunks[0]);
    else {
      this.socket.cork();
      for (let i = 0; i < chunks.length; i++) this.socket.write(chunks[i]);
      this.socket.uncork();
    }
    if (written !== null) {
      for (const w of written) {
        // Push mode settles at the write, so the write is when a traced call learns its server.
        if (w.settings.trace !== undefined) noteAnswer(w.settings.trace, this.address, null);
        w.settle(null);
      }
    }
    if (timeout !== undefined && wasIdle && this.timer === null && this.inflight.length > 0) this.armTimer(now);
  }

  private armTimer(now: number): void {
    const head = this.inflight.peek();
    if (head === undefined) {
      this.timer = null;
      return;
    }
    // A blocking command may stretch the deadline past what a Node timer can hold (2^31-1 ms,
    // beyond which it fires after 1 ms): wake at most that late and re-arm (checkTimeout).
    this.timer = setTimeout(() => this.checkTimeout(), Math.min(MAX_TIMER_MS, Math.max(1, head.deadline - now)));
    this.timer.unref();
  }

  private checkTimeout(): void {
    this.timer = null;
    const head = this.inflight.peek();
    if (head === undefined || this.closedWith !== null) return;
    const now = Date.now();
    if (head.deadline <= now) {
      this.destroy(new CommunicationError(`Timed out after ${this.settings.socketTimeout} ms waiting for a reply from ${this.where}`, { code: 'ERR_SOCKET_TIMEOUT' }));
    } else {
      this.armTimer(now);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.keepalive !== null) this.heardAt = Date.now();
    try {
      this.decoder.feed(chunk);
    } catch (err) {
      const error = err instanceof RedisError ? err : new ProtocolError(`Could not decode a reply from ${this.where}: ${(err as Error).message}`);
      this.destroy(error);
    }
  }

  // --- DecoderHandlers (called synchronously from decoder.feed) ---

  replySettings(): DecodeSettings {
    if (this.pushMode) return this.pushDecode;
    return this.inflight.peek()?.settings ?? RAW_REPLIES;
  }

  pushSettings(): DecodeSettings {
    return this.pushDecode;
  }

  onReply(value: unknown): void {
    if (this.pushMode) {
      if (this.pongsExpected > 0 && this.isKeepalivePong(value)) {
        this.pongsExpected--;
        return;
      }
      this.pushListener?.(value);
      return;
    }
    const p = this.inflight.shift();
    if (p === undefined) {
      throw new ProtocolError(`${this.where} sent a reply nobody asked for`);
    }
    // Only traced calls carry a context (a diagnostics subscriber listens); one field read otherwise.
    const trace = p.settings.trace;
    if (trace !== undefined) noteAnswer(trace, this.address, value);
    p.settle(value);
    if (this.inflight.length === 0) this.becameIdle();
  }

  onPush(value: unknown): void {
    this.pushListener?.(value);
  }

  private becameIdle(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.unsent.length === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once nothing is queued or waiting for a reply. */
  whenIdle(): Promise<void> {
    if (this.idle || this.closedWith !== null) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Graceful close: writes what is queued, waits (up to a grace period) for the replies,
   * then closes. Calls still unanswered then fail with a CommunicationError.
   */
  async end(): Promise<void> {
    if (this.closedWith !== null) return;
    if (!this.idle) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    this.destroy(closedByClientError(`Connection to ${this.where}`), false);
    await this.socketClosed;
  }

  /**
   * Discards the connection: calls written fail with `error`; calls not yet written go to
   * the close handler (or fail too when nobody takes them).
   */
  destroy(error: Error, handOver = true): void {
    if (this.closedWith !== null) return;
    this.closedWith = error;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.keepalive !== null) {
      clearTimeout(this.keepalive);
      this.keepalive = null;
    }
    this.socket.destroy();
    const inflight = this.inflight.drain();
    for (const p of inflight) {
      if (p.settings.trace !== undefined) noteFailure(p.settings.trace, this.address);
      p.fail(error);
    }
    const unsent = this.unsent.drain();
    const onClose = this.closeHandler;
    this.closeHandler = null;
    if (onClose !== null && handOver) onClose(error, unsent);
    else {
      for (const p of unsent) p.fail(error);
      onClose?.(error, []);
    }
    for (const w of this.idleWaiters) w();
    this.idleWaiters = [];
    if (this.announced) publishDisconnect(this.address, isDeliberate(error) ? undefined : error);
  }
}

/** Closed by the client itself (close(), a lease given back dirty), not lost. */
function isDeliberate(error: Error): boolean {
  const code = (error as RedisError).code;
  return code === 'ERR_CLIENT_CLOSED' || code === 'ERR_DISCARDED';
}

function noop(): void {}

/** The value inside an attributes wrapper (`{ type, data, attrs }`). */
function unwrap(value: unknown): unknown {
  return value !== null && typeof value === 'object' && 'data' in value ? (value as { data: unknown }).data : value;
}
