import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

/**
 * Apps that Jest cannot host. `@nestjs/throttler` 6 is CommonJS requiring the ESM-only Nest 12:
 * plain Node 20.19+ loads it (require of ESM), Jest's module system does not. Such apps are
 * compiled (type checking is `npm run typecheck`'s job, so `--noCheck` keeps this quick) and
 * run as child processes; `nestjs-justredis` resolves to the compiled `lib/`, as an installed
 * package would.
 */

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

const COMPILER_FLAGS = [
  '--ignoreConfig', '--noCheck', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
  '--experimentalDecorators', '--emitDecoratorMetadata', '--esModuleInterop', '--skipLibCheck',
  '--declaration', 'false', '--sourceMap', 'false', '--rootDir', '.',
];

export interface NodeBuild {
  /** The build's root: `<dir>/lib`, `<dir>/sample/src`, `<dir>/test/...` mirror the sources. */
  readonly dir: string;
  remove(): Promise<void>;
}

/** Compiles `lib/` plus `entries` (paths from the repository root) into a fresh folder under `.tmp/`. */
export async function buildForNode(entries: string[]): Promise<NodeBuild> {
  await mkdir(join(root, '.tmp'), { recursive: true });
  // Inside the repository so that the build's imports of `@nestjs/*` find its node_modules.
  const dir = await mkdtemp(join(root, '.tmp', 'node-build-'));
  const lib = ['lib/index.ts', 'lib/core/index.ts', 'lib/testing/index.ts', 'lib/keyv/index.ts', 'lib/throttler/index.ts'];
  await run(join(root, 'node_modules', '.bin', 'tsc'), [...COMPILER_FLAGS, '--outDir', dir, ...lib, ...entries], { cwd: root });
  // Its own package scope: otherwise `nestjs-justredis` would self-reference the repository's dist/.
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'node-build', private: true, type: 'module' }));
  const pkg = join(dir, 'node_modules', 'nestjs-justredis');
  await mkdir(pkg, { recursive: true });
  await symlink(relative(pkg, join(dir, 'lib')), join(pkg, 'lib'));
  const exportsMap = Object.fromEntries(
    ['', 'core', 'testing', 'keyv', 'throttler'].map((e) => [e === '' ? '.' : `./${e}`, e === '' ? './lib/index.js' : `./lib/${e}/index.js`]),
  );
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'nestjs-justredis', type: 'module', exports: exportsMap }));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface NodeApp {
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 5 s); resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node script` and resolves once its output matches `ready` (bounded by `timeoutMs`;
 * on timeout or an early exit the process is killed and the output is in the error).
 */
export function startNodeApp(script: string, env: Record<string, string>, ready: RegExp, timeoutMs = 30_000): Promise<NodeApp> {
  const child = spawn(process.execPath, ['--no-warnings', script], { env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  const app: NodeApp = { child, output: () => output, stop };
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${why}; output:\n${output}`)));
    };
    const timer = setTimeout(() => fail(`${script} not ready after ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (ready.test(output)) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve(app);
      }
    };
    const onEarlyExit = () => fail(`${script} exited before it was ready`);
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onEarlyExit);
  });
}
