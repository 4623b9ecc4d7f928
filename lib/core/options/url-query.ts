import { OPTION_TABLE, type OptionName } from './table.js';
import type { OptionRow } from './row.js';

const TRUE_WORDS = new Set(['true', '1', 'yes', '']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/**
 * The value of a known option given as a URL query parameter, typed by its row's kind:
 * numbers, booleans (`true/1/yes/''`, `false/0/no`), `null` for a decoder; options with no
 * text form (objects, functions, addresses) are refused. Messages name the option only.
 */
export function queryOptionValue(key: OptionName, value: string): unknown {
  const row: OptionRow<unknown, unknown> = OPTION_TABLE[key];
  if (!row.url) throw new TypeError(`Redis URL option "${key}" cannot be given as a query parameter`);
  switch (row.kind) {
    case 'integer':
      return queryNumber(key, value);
    case 'choice':
      return typeof row.choices![0] === 'number' ? queryNumber(key, value) : value;
    case 'flag':
    case 'cache':
    case 'keepalive': {
      if (TRUE_WORDS.has(value)) return true;
      if (FALSE_WORDS.has(value)) return false;
      // A keepalive may also be a delay in ms.
      if (row.kind === 'keepalive' && !Number.isNaN(Number(value))) return Number(value);
      throw new TypeError(`Redis URL option "${key}" must be true or false`);
    }
    case 'decoder':
      return value === 'null' || value === 'none' || value === '' ? null : value;
    default:
      return value;
  }
}

function queryNumber(key: string, value: string): number {
  const n = Number(value);
  if (value === '' || Number.isNaN(n)) throw new TypeError(`Redis URL option "${key}" must be a number`);
  return n;
}
