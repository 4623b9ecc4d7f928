import { execFile } from 'node:child_process';
import type { TlsMaterial } from './tls-material.js';

/** Who and where redis-cli talks to. */
export interface CliTarget {
  host: string;
  port: number;
  tls?: TlsMaterial;
  username?: string;
  password?: string;
}

export const defaultRedisCliBinary = (): string => process.env.REDIS_CLI_BIN || 'redis-cli';

function mask(text: string, secrets: (string | undefined)[]): string {
  for (const secret of secrets) if (secret) text = text.split(secret).join('***');
  return text;
}

/**
 * Runs `redis-cli <connection flags> <args>` and resolves to its stdout, trimmed. redis-cli
 * prints raw replies when stdout is not a terminal (no quotes, no "(integer)"), one per line
 * for arrays. `-e` makes an error reply a non-zero exit, which rejects with redis-cli's
 * stderr (e.g. "ERR unknown command ..."). The password travels in REDISCLI_AUTH, not argv,
 * so it never shows in `ps` or in the rejection message (which also masks it).
 */
export function runRedisCli(target: CliTarget, args: string[], timeoutMs = 15_000): Promise<string> {
  const argv = ['-e', '-h', target.host, '-p', String(target.port)];
  if (target.username !== undefined) argv.push('--user', target.username);
  if (target.tls) {
    argv.push('--tls', '--cacert', target.tls.caFile, '--cert', target.tls.clientCertFile, '--key', target.tls.clientKeyFile);
  }
  argv.push(...args);
  const env = { ...process.env };
  delete env.REDISCLI_AUTH;
  if (target.password !== undefined) env.REDISCLI_AUTH = target.password;
  return new Promise((resolve, reject) => {
    execFile(defaultRedisCliBinary(), argv, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout.trim());
      const code = (error as { code?: unknown }).code;
      const why = error.killed ? `timed out after ${timeoutMs} ms` : `exit code ${String(code)}`;
      const output = (stderr.trim() || stdout.trim() || error.message).slice(0, 2_000);
      const command = args[0] ?? '';
      const message = `redis-cli ${command} against ${target.host}:${target.port} failed (${why}): ${output}`;
      reject(new Error(mask(message, [target.password])));
    });
  });
}

/** Parses redis-cli's raw output of a flat field/value reply (SENTINEL MASTER, CONFIG GET...). */
export function parsePairs(output: string): Map<string, string> {
  const lines = output.split('\n');
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) map.set(lines[i]!.trim(), lines[i + 1]!.trim());
  return map;
}

/** Parses `INFO` output into key → value. */
export function parseInfo(output: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) map.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return map;
}
