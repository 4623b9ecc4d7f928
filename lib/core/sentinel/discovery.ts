import { setTimeout as sleep } from 'node:timers/promises';
import type { Address, ResolvedOptions } from '../options.js';
import { formatAddress } from '../options.js';
import type { ConnectConfig } from '../transport/connect.js';
import { clientClosedError, CommunicationError, RedisError, ReplyError } from '../errors.js';
import { probeConfig, sentinelConfig } from './configs.js';
import { NodeConfigs, translateAddress } from '../routing/node-naming.js';
import { probeMaster, queryOnce } from './probe.js';
import { parseConfigEpoch, parseMasterAddress, parseReplicas } from './replies.js';

/** One sentinel's view of the master. */
interface Answer {
  readonly sentinel: Address;
  readonly address: Address | null;
  readonly epoch: number;
}

/** Server refusals of a probe that may pass on the next try; any other refusal is final (see `isFatal`). */
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN']);

/** Pause between discovery rounds: 50 ms doubling to 500 ms, jittered; a failover is a matter of seconds. */
function roundDelayMs(round: number): number {
  const ceiling = Math.min(500, 50 * 2 ** (round - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Finds the master (and its replicas) through the sentinels, following the Redis
 * "sentinel clients" guidelines: ask the sentinels, prefer the one that answered last,
 * and trust no answer before the node itself confirms with ROLE.
 *
 * Every round asks all sentinels at once (down ones are skipped by their quick failure)
 * and tries the answers newest `config-epoch` first: right after a failover some sentinels
 * still name the old master, which keeps accepting writes until it is reconfigured, and a
 * stale answer must not pull the client back to it.
 */
export class SentinelDiscovery {
  private order: Address[];
  private readonly abort = new AbortController();
  private readonly sentinelConfig: ConnectConfig;
  /** ROLE probes connect like the data pools will (the same TLS naming). */
  private readonly probeConfigs: NodeConfigs;

  constructor(
    private readonly options: ResolvedOptions,
    readonly masterName: string,
  ) {
    this.order = [...options.addresses];
    this.sentinelConfig = sentinelConfig(options);
    this.probeConfigs = new NodeConfigs(probeConfig(options), options.addresses);
  }

  /** The sentinels, the one that answered most recently first. */
  get sentinels(): readonly Address[] {
    return this.order;
  }

  /** Connection settings for sentinels (the event subscription uses them too). */
  get sentinelSettings(): ConnectConfig {
    return this.sentinelConfig;
  }

  /**
   * Stops every loop, and ends every sentinel query and ROLE probe in flight at once (their
   * sockets destroyed): a silent sentinel must not hold a close up for `socketTimeout`.
   */
  close(): void {
    this.abort.abort(clientClosedError());
  }

  /**
   * The master's address, confirmed by ROLE. Tries `takeHint()` first (the address a
   * `+switch-master` message announced), then the sentinels' answers; repeats with backoff
   * until `deadline`. With `failFast` it gives up at once when no sentinel knows the master
   * (unreachable, wrong credentials, unknown name): nothing will change by waiting at start-up.
   */
  async findMaster(deadline: number, takeHint: () => Address | null = () => null, failFast = false): Promise<Address> {
    for (let round = 1; ; round++) {
      this.checkOpen();
      const tried = new Set<string>();
      let lastError: Error | undefined;
      const hint = takeHint();
      if (hint !== null) {
        tried.add(formatAddress(hint));
        try {
          await this.verify(hint);
          return hint;
        } catch (err) {
          if (isFatal(err)) throw err;
          lastError = err as Error;
        }
      }
      const { answers, errors } = await this.askAll();
      this.checkOpen();
      const named = answers.filter((a) => a.address !== null).sort((a, b) => b.epoch - a.epoch);
      for (const answer of named) {
        const key = formatAddress(answer.address!);
        if (tried.has(key)) continue;
        tried.add(key);
        try {
          await this.verify(answer.address!);
          this.prefer(answer.sentinel);
          return answer.address!;
        } catch (err) {
          if (isFatal(err)) throw err;
          lastError = err as Error;
        }
        this.checkOpen();
      }
      if ((failFast && named.length === 0) || Date.now() >= deadline) throw this.failure(answers, named.length, errors, lastError);
      await this.pause(Math.min(roundDelayMs(round), Math.max(0, deadline - Date.now())));
    }
  }

  /** The healthy replicas, from the first sentinel that answers. */
  async findReplicas(): Promise<Address[]> {
    let lastError: unknown;
    for (const sentinel of [...this.order]) {
      this.checkOpen();
      try {
        const [reply] = await queryOnce(sentinel, this.sentinelConfig, [['SENTINEL', 'REPLICAS', this.masterName]], this.abort.signal);
        if (reply instanceof Error) throw reply;
        return parseReplicas(reply).map(([host, port]) => translateAddress(this.options.natMap, host, port));
      } catch (err) {
        this.checkOpen();
        lastError = err;
      }
    }
    throw new CommunicationError(`No sentinel listed the replicas of "${this.masterName}": ${(lastError as Error)?.message}`, {
      cause: lastError,
      code: 'ERR_SENTINEL_UNREACHABLE',
    });
  }

  /** Every sentinel at once; the ones that fail (down, wrong password) are just left out. */
  private async askAll(): Promise<{ answers: Answer[]; errors: Error[] }> {
    const settled = await Promise.allSettled(this.order.map((sentinel) => this.ask(sentinel)));
    const answers: Answer[] = [];
    const errors: Error[] = [];
    // Stable order: among equal epochs the preferred sentinel's answer comes first.
    for (const s of settled) {
      if (s.status === 'fulfilled') answers.push(s.value);
      else errors.push(s.reason as Error);
    }
    return { answers, errors };
  }

  private async ask(sentinel: Address): Promise<Answer> {
    const [addr, master] = await queryOnce(sentinel, this.sentinelConfig, [
      ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName],
      ['SENTINEL', 'MASTER', this.masterName],
    ], this.abort.signal);
    if (addr instanceof Error) throw addr;
    const parsed = parseMasterAddress(addr);
    // SENTINEL MASTER may be denied by an ACL that allows GET-MASTER-ADDR-BY-NAME: epoch 0 then.
    const epoch = master instanceof Error ? 0 : parseConfigEpoch(master);
    return { sentinel, address: parsed === null ? null : translateAddress(this.options.natMap, parsed[0], parsed[1]), epoch };
  }

  /** ROLE on the candidate (see `probeMaster`). */
  private verify(address: Address): Promise<void> {
    return probeMaster(address, this.probeConfigs.for(address), this.abort.signal);
  }

  private prefer(sentinel: Address): void {
    const i = this.order.indexOf(sentinel);
    if (i > 0) this.order = [sentinel, ...this.order.slice(0, i), ...this.order.slice(i + 1)];
  }

  private failure(answers: Answer[], named: number, errors: Error[], lastError: Error | undefined): RedisError {
    const list = this.order.map(formatAddress).join(', ');
    if (answers.length === 0) {
      const cause = errors[errors.length - 1];
      return new CommunicationError(`No sentinel answered (${list}): ${cause?.message}`, { cause, code: 'ERR_SENTINEL_UNREACHABLE' });
    }
    if (named === 0) return new RedisError(`The sentinels (${list}) know no master named "${this.masterName}"`, 'ERR_SENTINEL_UNKNOWN_MASTER');
    return new CommunicationError(`No master for "${this.masterName}" could be confirmed through the sentinels (${list}): ${lastError?.message}`, {
      cause: lastError,
      code: 'ERR_SENTINEL_NO_MASTER',
    });
  }

  private checkOpen(): void {
    if (this.abort.signal.aborted) throw clientClosedError();
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.abort.signal });
    } catch {
      this.checkOpen();
    }
  }
}

/** The master refused the client's credentials (WRONGPASS, NOPERM...): asking again cannot help. */
function isFatal(err: unknown): boolean {
  return err instanceof ReplyError && !TRANSIENT_REPLIES.has(err.code);
}
