import { inspect } from 'node:util';
import { join } from 'node:path';
import { parseRedisUrl } from '../../lib/core/url.js';
import { KNOWN_OPTIONS, resolveOptions } from '../../lib/core/options.js';
import { OPTION_TABLE, type OptionName } from '../../lib/core/options/table.js';
import type { OptionRow } from '../../lib/core/options/row.js';
import { Secret } from '../../lib/core/secret.js';

/**
 * The options table is the one declaration of every option: these tests walk its rows, so a
 * row added later is covered by the same checks (URL form, error messages, secrets) at once.
 */
const rows = Object.entries(OPTION_TABLE) as [OptionName, OptionRow<unknown, unknown>][];
const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const aFile = join(process.cwd(), 'package.json');

/** A valid value of a row as URL text, and the same value as code would give it. */
function sample(name: string, row: OptionRow<unknown, unknown>): [text: string, value: unknown] {
  if (name.startsWith('ssl')) return [aFile, aFile];
  switch (row.kind) {
    case 'integer':
      return ['5', 5];
    case 'choice':
      return [String(row.choices![0]), row.choices![0]];
    case 'flag':
    case 'cache':
      return ['true', true];
    case 'keepalive':
      return ['250', 250];
    case 'decoder':
      return ['null', null];
    case 'encoding':
      return ['latin1', 'latin1'];
    default:
      return ['some-text', 'some-text'];
  }
}

describe('the options table', () => {
  it('declares exactly the known option names', () => {
    expect([...KNOWN_OPTIONS].sort()).toEqual(Object.keys(OPTION_TABLE).sort());
  });

  it.each(rows.filter(([, row]) => row.url))('%s is a URL query parameter (camelCase and snake_case) that resolves as the same option given in code', (name, row) => {
    const [text, value] = sample(name, row);
    for (const key of new Set([name, snake(name)])) {
      const fromUrl = resolveOptions(parseRedisUrl(`redis://h:1?${key}=${encodeURIComponent(text)}`));
      const fromCode = resolveOptions({ address: ['h', 1], [name]: value });
      expect(inspect(fromUrl)).toBe(inspect(fromCode));
    }
  });

  it.each(rows.filter(([, row]) => !row.url))('%s has no text form: the URL query refuses it by name', (name) => {
    expect(() => parseRedisUrl(`redis://h?${name}=x`)).toThrow(new TypeError(`Redis URL option "${name}" cannot be given as a query parameter`));
  });

  it.each(rows)('%s: a value of the wrong type is refused before anything connects, naming the option and not quoting the value', (name, row) => {
    let error: unknown;
    try {
      resolveOptions({ [name]: Symbol('HUSH') } as never);
    } catch (err) {
      error = err;
    }
    // A version outside the allowed numbers is a range error; every other kind is a type error.
    const numericChoice = row.kind === 'choice' && typeof row.choices![0] === 'number';
    expect(error).toBeInstanceOf(numericChoice ? RangeError : TypeError);
    expect((error as Error).message).toContain(`"${name}"`);
    expect((error as Error).message).not.toContain('HUSH');
  });

  it.each(rows.filter(([, row]) => row.secret))('%s is held as a Secret once resolved, never shown by inspect', (name) => {
    const resolved = resolveOptions({ [name]: 'HUSH-HUSH' }) as unknown as Record<string, unknown>;
    expect(resolved[name]).toBeInstanceOf(Secret);
    expect((resolved[name] as Secret).reveal()).toBe('HUSH-HUSH');
    expect(inspect(resolved, { depth: 5, showHidden: true })).not.toContain('HUSH');
  });

  it('resolves input-only rows into the option that folds them in, and drops them', () => {
    const resolved = resolveOptions({ address: ['a', 1], addresses: [['b', 2]], sslCafile: aFile }) as unknown as Record<string, unknown>;
    expect(resolved.addresses).toEqual([['a', 1], ['b', 2]]);
    expect(resolved.socketFactory).toBe('ssl');
    expect((resolved.tls as { ca: Buffer }).ca).toBeInstanceOf(Buffer);
    for (const [name, row] of rows) expect(name in resolved).toBe(!row.inputOnly);
  });
});
