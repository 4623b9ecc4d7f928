import { inspect } from 'node:util';

/**
 * Holds a credential so that it never leaks through `String()`, `JSON.stringify`,
 * `util.inspect`, error messages or logs. Only `reveal()` gives the value back,
 * and only the handshake calls it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}
