/**
 * The layering, checked on the source: the integration layers reach the client only through
 * `lib/core/index.ts` (its public surface) and never read the removed `_core`; `lib/core`
 * loads nothing but Node built-ins and its own files, so `nestjs-justredis/core` works
 * without Nest, RxJS or any optional peer installed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');
const LIB = join(ROOT, 'lib');
const CORE = join(LIB, 'core');
const CORE_INDEX = join(CORE, 'index.js');
const INTEGRATIONS = ['nest', 'microservices', 'keyv', 'throttler', 'opentelemetry'];

/** Every module specifier in `source`: static imports and re-exports, `import()` calls, and `import('…')` types. */
function specifiersOf(source: string, fileName = 'scanned.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      // A computed specifier cannot be checked: report it so that it is looked at.
      found.push(arg !== undefined && ts.isStringLiteralLike(arg) ? arg.text : '<computed>');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `file` imports of `lib/core` other than its index, as `file: specifier`. */
function reachesIntoCore(file: string, source: string): string[] {
  return specifiersOf(source, file)
    .filter((spec) => spec.startsWith('.'))
    .filter((spec) => {
      const target = resolve(dirname(file), spec);
      return (target === CORE || target.startsWith(CORE + '/')) && target !== CORE_INDEX;
    })
    .map((spec) => `${relative(ROOT, file)}: ${spec}`);
}

/** Specifiers that are neither relative nor a `node:` built-in. */
function nonLocalImports(file: string, source: string): string[] {
  return specifiersOf(source, file)
    .filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:'))
    .map((spec) => `${relative(ROOT, file)}: ${spec}`);
}

describe('the import scanner', () => {
  // The rules below are only as good as the scanner: it must see every form of import.
  it('finds static imports, re-exports, import() calls and import() types', () => {
    const source = [
      "import type { A } from '../core/redis.js';",
      "import '../core/side-effect.js';",
      "export { B } from '../core/options.js';",
      "export * from '../core/index.js';",
      "const lazy = () => import('../core/pool/server-pool.js');",
      "type C = import('../core/router.js').Router;",
      'const computed = (name: string) => import(name);',
    ].join('\n');
    expect(specifiersOf(source)).toEqual([
      '../core/redis.js',
      '../core/side-effect.js',
      '../core/options.js',
      '../core/index.js',
      '../core/pool/server-pool.js',
      '../core/router.js',
      '<computed>',
    ]);
  });

  it('tells an import of core/index.js from one of any other core file', () => {
    const file = join(LIB, 'nest', 'utils', 'x.ts');
    const source = "import { Redis } from '../../core/index.js';\nimport { StandaloneRouter } from '../../core/pool/standalone-router.js';\nimport { y } from './y.js';";
    expect(reachesIntoCore(file, source)).toEqual(['lib/nest/utils/x.ts: ../../core/pool/standalone-router.js']);
  });
});

describe('layering', () => {
  const integrationFiles = INTEGRATIONS.flatMap((dir) => sourceFiles(join(LIB, dir)));

  it('scans the integration layers (a moved folder would make the rules pass vacuously)', () => {
    for (const dir of INTEGRATIONS) expect(integrationFiles.some((file) => file.startsWith(join(LIB, dir) + '/'))).toBe(true);
  });

  it(`lets ${INTEGRATIONS.join(', ')} import lib/core only through core/index.js`, () => {
    const offending = integrationFiles.flatMap((file) => reachesIntoCore(file, readFileSync(file, 'utf8')));
    expect(offending).toEqual([]);
  });

  it('has no integration layer read _core', () => {
    const offending = integrationFiles.filter((file) => /\b_core\b/.test(readFileSync(file, 'utf8'))).map((file) => relative(ROOT, file));
    expect(offending).toEqual([]);
  });

  it('keeps lib/core free of @nestjs, rxjs and every peer: it imports only node: built-ins and its own files', () => {
    const coreFiles = sourceFiles(CORE);
    expect(coreFiles.length).toBeGreaterThan(20);
    const offending = coreFiles.flatMap((file) => nonLocalImports(file, readFileSync(file, 'utf8')));
    expect(offending).toEqual([]);
    // And no relative import climbs out of lib/core into a layer that may load those.
    const escaping = coreFiles.flatMap((file) =>
      specifiersOf(readFileSync(file, 'utf8'), file)
        .filter((spec) => spec.startsWith('.') && !resolve(dirname(file), spec).startsWith(CORE + '/'))
        .map((spec) => `${relative(ROOT, file)}: ${spec}`),
    );
    expect(escaping).toEqual([]);
  });
});
