/*
 * A command's argument grammar (the JSON's `arguments`) as a TypeScript tuple type, in the
 * vocabulary of lib/core/commands/command-types.ts: K a key, A a value or loosely typed
 * argument, I an integer, F a double, O the trailing per-call options.
 */

/** Tuples with more optional slots than this take a rest element instead. */
const MAX_OPTIONAL_SLOTS = 6;

const SIMPLE = { key: 'K', string: 'A', pattern: 'A', integer: 'I', 'unix-time': 'I', double: 'F' };

/** Fewest and most arguments a grammar element takes (Infinity: unbounded). */
function span(arg) {
  let min;
  let max;
  if (arg.type === 'pure-token') {
    min = max = 1;
  } else if (arg.type === 'oneof') {
    const parts = arg.arguments.map(span);
    min = Math.min(...parts.map((p) => p.min));
    max = Math.max(...parts.map((p) => p.max));
  } else if (arg.type === 'block') {
    const parts = arg.arguments.map(span);
    min = parts.reduce((n, p) => n + p.min, 0);
    max = parts.reduce((n, p) => n + p.max, 0);
  } else {
    min = max = 1;
  }
  if (arg.token !== undefined && arg.type !== 'pure-token') {
    min += 1;
    max += 1;
  }
  if (arg.multiple) max = Infinity;
  if (arg.optional) min = 0;
  return { min, max };
}

function label(name, used) {
  let base = name.replace(/[^a-z0-9]+(.)?/gi, (_, c) => (c ? c.toUpperCase() : '')).replace(/^[0-9]/, '_$&') || 'arg';
  if (['arguments', 'eval', 'default', 'function', 'delete', 'new', 'in', 'type'].includes(base)) base = `${base}_`;
  let out = base;
  for (let i = 2; used.has(out); i++) out = `${base}${i}`;
  used.add(out);
  return out;
}

/**
 * A tuple type for a grammar: typed leading positionals, then loosely typed slots or a rest.
 * A variadic part (`key [key ...]`, `field value [field value ...]`) and all after it is a
 * rest, so that spreading an array (`call('del', ...keys)`) type-checks; the server checks
 * that at least one was given.
 */
export function argsTuple(grammar, head) {
  const used = new Set(['o', 'sub', 'rest']);
  const elements = head === null ? [] : [head];
  let i = 0;
  for (; i < grammar.length; i++) {
    const arg = grammar[i];
    // A SCAN cursor is passed back as the server sent it (a string or a Buffer), not as a number.
    const type = arg.name === 'cursor' ? 'A' : SIMPLE[arg.type];
    if (arg.optional || arg.token !== undefined || type === undefined) break;
    if (arg.multiple) {
      const rest = i === grammar.length - 1 ? type : 'A';
      return `readonly [${[...elements, `...rest: (${rest} | O)[]`].join(', ')}]`;
    }
    elements.push(`${label(arg.name, used)}: ${type}`);
  }
  let min = 0;
  let max = 0;
  for (const arg of grammar.slice(i)) {
    const s = span(arg);
    min += s.min;
    max += s.max;
  }
  if (max === Infinity) {
    elements.push('...rest: (A | O)[]');
  } else if (max - min > MAX_OPTIONAL_SLOTS) {
    for (let n = 0; n < min; n++) elements.push(`${label('arg', used)}: A`);
    elements.push('...rest: (A | O)[]');
  } else {
    for (let n = 0; n < min; n++) elements.push(`${label('arg', used)}: A`);
    for (let n = min; n < max; n++) elements.push(`${label('arg', used)}?: A | O`);
    elements.push('o?: O');
  }
  return `readonly [${elements.join(', ')}]`;
}
