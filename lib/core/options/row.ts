import type { Address } from '../options.js';
import type { ReplyDecoder } from '../resp/types.js';
import type { Secret } from '../secret.js';
import { MAX_COUNT, MAX_DURATION_MS } from './checks.js';

/**
 * What a row of the options table is made of. A kind names the check a given value passes
 * (checks.ts), its form in a URL query (url-query.ts) and how it resolves (resolve.ts); the
 * helpers below build rows so that each option is one line of the table.
 */
export type OptionKind =
  | 'text'
  | 'flag'
  | 'integer'
  | 'choice'
  | 'encoding'
  | 'decoder'
  | 'address'
  | 'addresses'
  | 'object'
  | 'mapper'
  | 'class'
  | 'keepalive'
  | 'cache';

/** Values of already-resolved options, by name, for defaults and derivations that depend on them. */
export type ResolvedSoFar = Readonly<Record<string, unknown>>;
/** Given options after their own checks, by name (absent ones are undefined). */
export type Given = Readonly<Record<string, unknown>>;

export interface OptionRow<In, Out> {
  readonly kind: OptionKind;
  /** May be a `fromUrl` query parameter (kinds with no text form may not). */
  readonly url: boolean;
  /** Held in a `Secret` once resolved, so it never shows in inspect output or logs. */
  readonly secret: boolean;
  /** Bounds of an integer. */
  readonly min?: number;
  readonly max?: number;
  /** `Infinity` is accepted besides the bounds (it means "unlimited"). */
  readonly unlimited?: boolean;
  /** The values a choice allows. */
  readonly choices?: readonly (string | number)[];
  /** What a value must be, for the TypeError of kinds whose check is only a type test. */
  readonly expected?: string;
  /** The value when absent: a constant, or computed from options resolved before it. */
  readonly fallback?: Out | ((resolved: ResolvedSoFar) => Out);
  /** Resolves from several given options at once (the row's own value included). */
  readonly derive?: (given: Given, resolved: ResolvedSoFar) => Out;
  /** A setting a `modify()` view, a `connection()` or a single call may change too. */
  readonly setting?: true;
  /** Only folded into another option (e.g. `address` into `addresses`); absent from the resolved options. */
  readonly inputOnly?: true;
  /** Type-level only: the type a user gives and the type it resolves to. */
  readonly types?: { readonly in: In; readonly out: Out };
}

/** Every row has every field, in one order: one object shape, so reading rows on a call stays fast. */
const row = <In, Out>(kind: OptionKind, more: Partial<OptionRow<In, Out>> = {}): OptionRow<In, Out> => ({
  kind,
  url: more.url ?? true,
  secret: more.secret ?? false,
  min: more.min,
  max: more.max,
  unlimited: more.unlimited,
  choices: more.choices,
  expected: more.expected,
  fallback: more.fallback,
  derive: more.derive,
  setting: more.setting,
  inputOnly: more.inputOnly,
});

export const text = (): OptionRow<string, string | undefined> => row('text');
export const secretText = (): OptionRow<string, Secret | undefined> => row('text', { secret: true });
export const flag = (fallback: boolean): OptionRow<boolean, boolean> => row('flag', { fallback });

/** A finite integer from min to max (default a safe integer's limit). */
export function integer(min: number, max: number | undefined, fallback: number | ((resolved: ResolvedSoFar) => number)): OptionRow<number, number>;
export function integer(min: number, max?: number): OptionRow<number, number | undefined>;
export function integer(min: number, max: number = MAX_COUNT, fallback?: number | ((resolved: ResolvedSoFar) => number)): OptionRow<number, number | undefined> {
  return row('integer', { min, max, fallback });
}

/** Milliseconds, an integer from min to 2^31-1: the largest delay a Node timer keeps. */
export function duration(min: number, fallback: number | ((resolved: ResolvedSoFar) => number)): OptionRow<number, number>;
export function duration(min: number): OptionRow<number, number | undefined>;
export function duration(min: number, fallback?: number | ((resolved: ResolvedSoFar) => number)): OptionRow<number, number | undefined> {
  return integer(min, MAX_DURATION_MS, fallback as number);
}

/** A count where `Infinity` means unlimited (it never reaches a timer). */
export const limit = (min: number, fallback: number): OptionRow<number, number> => row('integer', { min, max: MAX_COUNT, unlimited: true, fallback });

export function choice<const T extends string | number>(choices: readonly T[], fallback: T): OptionRow<T, T>;
export function choice<const T extends string | number>(choices: readonly T[]): OptionRow<T, T | undefined>;
export function choice<const T extends string | number>(choices: readonly T[], fallback?: T): OptionRow<T, T | undefined> {
  return row('choice', { choices, fallback });
}

export const encoding = (fallback: BufferEncoding): OptionRow<BufferEncoding, BufferEncoding> => row('encoding', { fallback });
export const decoder = (fallback: ReplyDecoder): OptionRow<ReplyDecoder, ReplyDecoder> => row('decoder', { fallback });
export const address = (): OptionRow<Address, Address | undefined> => row('address', { url: false });
export const addressList = (): OptionRow<readonly Address[], readonly Address[] | undefined> => row('addresses', { url: false });
/** A plain object (copied when resolved); `expected` is what the TypeError says it must be. */
export const object = <T>(expected: string): OptionRow<T, T | undefined> => row('object', { url: false, expected });
/** An object or a function (a lookup table or its function form). */
export const mapper = <T>(): OptionRow<T, T | undefined> => row('mapper', { url: false, expected: 'an object or a function' });
export const classOf = <T>(): OptionRow<T, T | undefined> => row('class', { url: false, expected: 'a class' });
/** TCP keepalive: a delay in ms, `true` for the OS default (0), `false` off. */
export const keepalive = (): OptionRow<number | boolean, number | false> => row('keepalive', { min: 0, max: MAX_DURATION_MS, fallback: false });
export const cacheSettings = <In, Out>(): OptionRow<In, Out> => row('cache', { expected: 'a boolean or { maxEntries, ttl }' });

/** Resolved from several options by `derive` instead of the row's own value and fallback. */
export const derived = <In, Out>(base: OptionRow<In, unknown>, derive: (given: Given, resolved: ResolvedSoFar) => Out): OptionRow<In, Out> =>
  row(base.kind, { ...base, derive } as Partial<OptionRow<In, Out>>);
/** Also a per-view / per-call setting (see `CallSettings`). */
export const setting = <In, Out>(base: OptionRow<In, Out>): OptionRow<In, Out> & { readonly setting: true } =>
  row(base.kind, { ...base, setting: true }) as OptionRow<In, Out> & { readonly setting: true };
/** Checked, then folded into another option by that option's `derive`. */
export const inputOnly = <In>(base: OptionRow<In, unknown>): OptionRow<In, never> & { readonly inputOnly: true } =>
  row(base.kind, { ...base, inputOnly: true } as Partial<OptionRow<In, never>>) as OptionRow<In, never> & { readonly inputOnly: true };
