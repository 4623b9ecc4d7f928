// The machine and software a run was taken on.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => /^model name\s*:/.test(l));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function pkgVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return 'not installed';
  }
}

export function machineInfo() {
  const ours = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const rev = tryRun('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = tryRun('git', ['status', '--porcelain', '--untracked-files=no', '--', 'lib']);
  const redisVersion = tryRun('redis-server', ['--version']);
  return {
    cpu: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    redisServer: redisVersion ? (/v=(\S+)/.exec(redisVersion)?.[1] ?? redisVersion) : 'unknown',
    redisBenchmark: tryRun('redis-benchmark', ['--version']) ?? 'not found',
    justredis: `${ours.version}${rev ? ` @ ${rev}${dirty ? ' + uncommitted changes in lib/' : ''}` : ''}`,
    ioredis: pkgVersion('ioredis'),
    nodeRedis: pkgVersion('redis'),
    loadAvg: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

export function formatMachine(m) {
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.kernel}`,
    `- Node.js ${m.node}; redis-server ${m.redisServer}; ${m.redisBenchmark}`,
    `- justredis ${m.justredis}; ioredis ${m.ioredis}; node-redis (redis) ${m.nodeRedis}`,
    `- load average at start (1/5/15 min): ${m.loadAvg.join(' / ')}`,
  ].join('\n');
}
