import { createHash } from 'node:crypto';
import type { CommandArg } from './resp/types.js';
import { ReplyError } from './errors.js';

/**
 * Transparent script caching: `EVAL source ...` goes out as `EVALSHA sha ...` once the
 * server is known to hold the script, and falls back to EVAL when a server answers NOSCRIPT
 * (after SCRIPT FLUSH, a restart, a failover, a node that never saw it). Knowledge is per
 * client, not per node: a node that lacks the script costs one NOSCRIPT round trip, after
 * which the EVAL loads it there too.
 */
export class ScriptCache {
  /** Source text (or bytes as latin1) → SHA1, so a script is hashed once. */
  private readonly shas = new Map<string, string>();
  /** SHA1s some server accepted an EVAL for. */
  private readonly loaded = new Set<string>();

  /** `encoding` is the client's `encoder`: the hash must be over the bytes actually sent. */
  constructor(private readonly encoding: BufferEncoding) {}

  /** Runs `send(args)` with EVALSHA when possible, EVAL otherwise or on NOSCRIPT. */
  run(name: 'eval' | 'eval_ro', command: readonly CommandArg[], send: (args: readonly CommandArg[]) => Promise<unknown>): Promise<unknown> {
    if (command.length < 3) return send(command);
    const sha = this.sha(command[1]);
    if (sha === undefined) return send(command);
    if (!this.loaded.has(sha)) {
      return send(command).then(
        (result) => {
          this.loaded.add(sha);
          return result;
        },
        (err: unknown) => {
          // A script error still loaded the script (Redis caches it before running it).
          if (err instanceof ReplyError && err.code !== 'NOSCRIPT') this.loaded.add(sha);
          throw err;
        },
      );
    }
    const bySha = command.slice();
    bySha[0] = name === 'eval' ? 'EVALSHA' : 'EVALSHA_RO';
    bySha[1] = sha;
    return send(bySha).catch((err: unknown) => {
      if (!(err instanceof ReplyError) || err.code !== 'NOSCRIPT') throw err;
      return send(command);
    });
  }

  private sha(source: CommandArg): string | undefined {
    let key: string;
    if (typeof source === 'string') key = source;
    else if (source instanceof Uint8Array) key = Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString('latin1');
    else return undefined;
    let sha = this.shas.get(key);
    if (sha === undefined) {
      sha = createHash('sha1').update(typeof source === 'string' ? Buffer.from(source, this.encoding) : (source as Uint8Array)).digest('hex');
      if (this.shas.size > 10_000) this.shas.clear();
      this.shas.set(key, sha);
    }
    return sha;
  }
}
