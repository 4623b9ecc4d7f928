/** Builds redis.conf text. Secrets go into the config file, never into argv. */

export interface AclUser {
  username: string;
  password: string;
  /** ACL rules, space separated (default '~* &* +@all on'). */
  rules?: string;
}

export const DEFAULT_ACL_RULES = '~* &* +@all on';

/**
 * Quotes one config-file argument the way redis' `sdssplitargs` reads it back: inside
 * double quotes, `\\`, `\"`, `\n`, `\r`, `\t` and `\xHH` escapes; anything else verbatim.
 */
export function quoteConfigArg(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** One `directive arg arg...` line with every argument quoted. */
export function configLine(directive: string, ...args: string[]): string {
  return [directive, ...args.map(quoteConfigArg)].join(' ');
}

/**
 * `requirepass` (plus `masterauth`, so the same password also works for replication: a
 * replica, or a master demoted by a failover) and one `user` line per ACL user.
 */
export function authConfig(password: string | undefined, users: AclUser[] = []): string[] {
  const lines: string[] = [];
  if (password !== undefined) lines.push(configLine('requirepass', password), configLine('masterauth', password));
  for (const user of users) {
    const rules = (user.rules ?? DEFAULT_ACL_RULES).split(/\s+/).filter(Boolean);
    lines.push(configLine('user', user.username, ...rules, `>${user.password}`));
  }
  return lines;
}
