import { spawn } from 'node:child_process';

/**
 * Last-resort cleanup: when the process exits while servers are still running (a test
 * forgot `stop()`, an assertion threw before it, Jest tore the worker down), every
 * registered task runs synchronously from ONE `exit` listener (plus SIGTERM/SIGINT/SIGHUP,
 * see below) — SIGKILL the child, remove its temp dir — so a crashed or killed test run
 * leaves no redis-server behind.
 */
export type CleanupTask = () => void;

interface Registry {
  tasks: Set<CleanupTask>;
}

const KEY = Symbol.for('nestjs-justredis.testing.cleanup');

/**
 * Jest gives every test file a *copy* of `process` whose 'exit' event never fires (and it
 * patches `process.getBuiltinModule` and `createRequire` to hand back that copy). A
 * function created by the host realm's `Function` constructor (reached through any
 * builtin function, here `spawn`) evaluates against the host global, where `process` is
 * the real one. Keeping the registry there also means one listener per OS process, shared
 * by all test files of a worker, instead of one per file. Outside Jest both are `process`.
 */
function hostProcess(): NodeJS.Process {
  try {
    const HostFunction = spawn.constructor as FunctionConstructor;
    const real = HostFunction('return typeof process === "object" ? process : undefined')() as
      | NodeJS.Process
      | undefined;
    if (real && typeof real.once === 'function') return real;
  } catch {
    // --disallow-code-generation-from-strings: fall back to the visible process.
  }
  return process;
}

function runAll(tasks: Set<CleanupTask>): void {
  for (const task of tasks) {
    try {
      task();
    } catch {
      // keep going: the other servers must still be killed
    }
  }
  tasks.clear();
}

// jest-worker ends an idle worker by letting it exit by itself and, when some handle keeps
// it alive for 500 ms, by SIGTERM — which skips 'exit'. So we clean up on these signals
// too, then re-raise the signal (default action: die) unless someone else listens for it.
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function registry(): Registry {
  const host = hostProcess() as NodeJS.Process & { [KEY]?: Registry };
  let reg = host[KEY];
  if (!reg) {
    const created: Registry = { tasks: new Set() };
    reg = created;
    Object.defineProperty(host, KEY, { value: created, enumerable: false });
    host.once('exit', () => runAll(created.tasks));
    for (const signal of SIGNALS) {
      const onSignal = () => {
        runAll(created.tasks);
        if (host.listenerCount(signal) === 1) {
          host.removeListener(signal, onSignal);
          host.kill(host.pid, signal);
        }
      };
      host.on(signal, onSignal);
    }
  }
  return reg;
}

/** Registers a task for process exit; the returned function unregisters it. */
export function onProcessExit(task: CleanupTask): () => void {
  const { tasks } = registry();
  tasks.add(task);
  return () => {
    tasks.delete(task);
  };
}
