import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/*
 * The type tests (test/types/*.types.ts: `Equals<>` assertions and `@ts-expect-error` lines)
 * are compile-time only; ts-jest transpiles without type checking (isolatedModules), so this
 * test runs the compiler on them.
 */

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

async function typecheck(project: string): Promise<{ ok: boolean; output: string }> {
  try {
    await run(process.execPath, [tsc, '-p', project], { cwd: root });
    return { ok: true, output: '' };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

it('typed calls: the type tests compile (every Equals holds, every @ts-expect-error is an error)', async () => {
  const { ok, output } = await typecheck(join(root, 'test/types/tsconfig.json'));
  expect(output).toBe('');
  expect(ok).toBe(true);
}, 60_000);

it('a wrong reply type or an unused @ts-expect-error fails the type check', async () => {
  // Inside the repository (.tmp/ is ignored by git) so the root tsconfig's paths and rootDir apply.
  await mkdir(join(root, '.tmp'), { recursive: true });
  const dir = await mkdtemp(join(root, '.tmp', 'typed-calls-'));
  try {
    await writeFile(
      join(dir, 'wrong.types.ts'),
      `import type { Redis } from 'nestjs-justredis';
type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
declare const r: Redis<'utf8', 3>;
export async function f(): Promise<void> {
  const h = await r.call('hgetall', 'h');
  type _h = Expect<Equals<typeof h, string[]>>;
  // @ts-expect-error
  await r.call('get', 'k');
}
`,
    );
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'test/types/tsconfig.json'),
        include: ['wrong.types.ts'],
      }),
    );
    const { ok, output } = await typecheck(join(dir, 'tsconfig.json'));
    expect(ok).toBe(false);
    expect(output).toMatch(/wrong\.types\.ts\(7,\d+\): error TS2344/); // the Equals that does not hold
    expect(output).toMatch(/wrong\.types\.ts\(8,\d+\): error TS2578/); // the unused @ts-expect-error
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
