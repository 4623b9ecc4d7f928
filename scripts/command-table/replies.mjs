import { RESP2_PAIRED_MAPS, RESP3_LOOSE_SETS, RESP3_SETS, SCHEMA_FIXES, WIDE_INTEGERS } from './rules.mjs';

/*
 * A command's `reply_schema` as a TypeScript type over S (the decoder's string type), L (the
 * decoder keeps ASCII literals) and P (the RESP version), in the vocabulary of
 * lib/core/commands/command-types.ts (Lit, Wide, Dbl, MapR, SetR, Pairs, ...).
 */

export function replyType(def, name) {
  const schema = SCHEMA_FIXES[name] ?? def.reply_schema;
  if (schema === undefined) return 'any';
  return schemaType(schema, { wide: WIDE_INTEGERS.has(name), sets: RESP3_SETS.has(name), looseSets: RESP3_LOOSE_SETS.has(name), pairedMaps: RESP2_PAIRED_MAPS.has(name) });
}

function union(types) {
  const unique = [...new Set(types)];
  if (unique.includes('any')) return 'any';
  return unique.length === 0 ? 'never' : unique.join(' | ');
}

const paren = (t) => (t.includes(' ') && !/^[A-Za-z]+<.*>$/.test(t) ? `(${t})` : t);

function schemaType(s, ctx) {
  if (s === true || s === undefined) return 'any';
  if (s === false) return 'never';
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives !== undefined) return union(alternatives.map((a) => schemaType(a, ctx)));
  if (s.const !== undefined) return typeof s.const === 'string' ? `Lit<S, L, ${JSON.stringify(s.const).replace(/^"|"$/g, "'")}>` : JSON.stringify(s.const);
  switch (s.type) {
    case 'string':
      return 'S';
    case 'integer':
      return ctx.wide ? 'Wide' : 'number';
    case 'number':
      return 'Dbl<S, P>';
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    case 'array':
      return arrayType(s, ctx);
    case 'object':
      return objectType(s, ctx);
    default:
      return 'any';
  }
}

function arrayType(s, ctx) {
  if (Array.isArray(s.items)) {
    const items = s.items.map((i) => schemaType(i, ctx));
    const extra = s.additionalItems === undefined || s.additionalItems === false ? null : schemaType(s.additionalItems, ctx);
    return `[${items.join(', ')}${extra === null ? '' : `, ...${paren(extra)}[]`}]`;
  }
  const item = s.items === undefined ? 'any' : s.items;
  if (item !== 'any' && isPair(item, s)) {
    return `Pairs<P, ${schemaType(item.items[0], ctx)}, ${schemaType(item.items[1], ctx)}>`;
  }
  const t = item === 'any' ? 'any' : schemaType(item, ctx);
  if (s.uniqueItems && ctx.sets) return `SetR<P, ${t}>`;
  if (ctx.looseSets) return `ListOrSet<P, ${t}>`;
  return `${paren(t)}[]`;
}

/**
 * Arrays of [member, score] (sorted sets WITHSCORES) or of pairs the docs call "a flat array
 * in RESP2": RESP3 nests each pair, RESP2 flattens them.
 */
function isPair(item, s) {
  if (item.type !== 'array' || !Array.isArray(item.items) || item.items.length !== 2) return false;
  const [a, b] = item.items;
  return (a.type === 'string' && b.type === 'number') || /flat array/i.test(s.description ?? '');
}

function objectType(s, ctx) {
  const values = [];
  for (const v of Object.values(s.properties ?? {})) values.push(schemaType(v, ctx));
  for (const v of Object.values(s.patternProperties ?? {})) values.push(schemaType(v, ctx));
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) values.push(schemaType(s.additionalProperties, ctx));
  if (values.length === 0 && s.additionalProperties !== false) values.push('any');
  return `${ctx.pairedMaps ? 'MapPairs' : 'MapR'}<P, S, ${union(values)}>`;
}
