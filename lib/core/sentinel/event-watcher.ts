import type { Address } from '../options.js';
import { clientClosedError, closedByClientError, CommunicationError } from '../errors.js';
import { UTF8_REPLIES } from '../resp/types.js';
import { backoffMs, connect, type ConnectConfig } from '../transport/connect.js';
import type { RedisConnection } from '../transport/redis-connection.js';
import { pendingCall } from '../transport/pending.js';
import { parseSentinelEvent, type SentinelEvent } from './replies.js';


/** `+switch-master` moves the master; the others change which replicas are fit for reads. */
const CHANNELS = ['+switch-master', '+slave', '+sdown', '-sdown', '+convert-to-slave'];

/**
 * A quiet subscription cannot tell a calm sentinel from a vanished one (a host gone without
 * a reset, a paused process): PING it this often, and drop it when nothing came back for
 * `SILENCE_LIMIT_MS`, so the next sentinel takes over.
 */
const HEARTBEAT_MS = 5000;
const SILENCE_LIMIT_MS = 3 * HEARTBEAT_MS;

/**
 * A subscription to one sentinel's event channels, kept alive across sentinels: when the
 * connection drops, the next sentinel in the list takes over (with backoff once all failed).
 * Messages sent while nobody listened are lost, so after every re-subscription `onResync`
 * lets the owner ask the sentinels afresh.
 */
export class EventWatcher {
  private connection: RedisConnection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Aborted by `close()`: ends a connect (or handshake) to a sentinel in progress at once. */
  private readonly closing = new AbortController();
  /** Set after a loss: the next confirmed subscription calls `onResync`. */
  private missed = false;
  private failures = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastFrameAt = 0;
  /** The sentinel of the current (or last) subscription. */
  private listenedTo: Address | null = null;

  constructor(
    private readonly sentinels: () => readonly Address[],
    private readonly config: ConnectConfig,
    private readonly masterName: string,
    private readonly onEvent: (event: SentinelEvent) => void,
    private readonly onResync: () => void,
  ) {}

  /** Subscribes through the first sentinel that accepts; resolves once SUBSCRIBE is written (or every sentinel failed). */
  start(): Promise<void> {
    return this.subscribe();
  }

  private async subscribe(): Promise<void> {
    // The sentinel just lost goes last: it may be up but unhealthy (paused, partitioned).
    const last = this.listenedTo;
    const order = [...this.sentinels()].sort((a, b) => Number(a === last) - Number(b === last));
    for (const address of order) {
      if (this.closed) return;
      let connection: RedisConnection;
      try {
        connection = await connect(address, this.config, this.closing.signal);
      } catch {
        continue;
      }
      // Closed after connect() returned (an abort inside it rejects, and the loop ends above).
      if (this.closed) {
        connection.destroy(closedByClientError(`Sentinel event connection to ${connection.where}`), false);
        return;
      }
      this.failures = 0;
      this.connection = connection;
      this.listenedTo = address;
      connection.enterPushMode((frame) => this.deliver(frame), UTF8_REPLIES);
      connection.setCloseHandler(() => {
        this.connection = null;
        this.missed = true;
        if (!this.closed) this.retry();
      });
      this.lastFrameAt = Date.now();
      this.heartbeat ??= setInterval(() => this.beat(), HEARTBEAT_MS).unref();
      const { pending, promise } = pendingCall(['SUBSCRIBE', ...CHANNELS], UTF8_REPLIES);
      connection.send(pending);
      await promise.catch(() => {});
      return;
    }
    this.missed = true;
    this.retry();
  }

  /** Next round after a backoff (immediately after the first loss: another sentinel is probably up). */
  private retry(): void {
    if (this.closed || this.timer !== null) return;
    const delay = this.failures++ === 0 ? 0 : backoffMs(this.failures);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.subscribe();
    }, delay);
    this.timer.unref();
  }

  private beat(): void {
    const connection = this.connection;
    if (connection === null) return;
    if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
      connection.destroy(new CommunicationError(`Sentinel ${connection.where} stopped answering`, { code: 'ERR_SOCKET_TIMEOUT' }));
      return;
    }
    const { pending, promise } = pendingCall(['PING'], UTF8_REPLIES);
    promise.catch(() => {}); // a closed connection is handled by onClose
    connection.send(pending);
  }

  private deliver(frame: unknown): void {
    this.lastFrameAt = Date.now();
    if (!Array.isArray(frame)) return;
    const kind = String(frame[0]);
    if (kind === 'subscribe') {
      // The last channel confirmed: from here on nothing is missed.
      if (Number(frame[2]) === CHANNELS.length && this.missed) {
        this.missed = false;
        this.onResync();
      }
      return;
    }
    if (kind !== 'message') return;
    const event = parseSentinelEvent(String(frame[1]), String(frame[2]), this.masterName);
    if (event !== null) this.onEvent(event);
  }

  close(): void {
    this.closed = true;
    this.closing.abort(clientClosedError());
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const connection = this.connection;
    this.connection = null;
    if (connection !== null) {
      connection.setCloseHandler(null);
      connection.destroy(closedByClientError(`Sentinel event connection to ${connection.where}`), false);
    }
  }
}
