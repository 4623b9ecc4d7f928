import fc from 'fast-check';
import { inspect } from 'node:util';
import { redactedArgs, REDACTED } from '../../lib/core/diagnostics/redact.js';
import type { CommandArg } from '../../lib/core/resp/types.js';

/**
 * Credential-bearing commands built at random around a secret (random token case, string or
 * Buffer arguments, other options before and after): the secret never survives redaction,
 * the caller's array is never changed, and nothing else is touched.
 */
const SECRET = 'S3cr3t-value';
const word = fc.stringMatching(/^[a-z0-9:_-]{1,8}$/);
const casing = (token: string) => fc.constantFrom(token.toLowerCase(), token.toUpperCase(), token[0].toUpperCase() + token.slice(1).toLowerCase());
const asArg = (value: string): fc.Arbitrary<CommandArg> => fc.constantFrom<CommandArg>(value, Buffer.from(value));
const secret = asArg(SECRET);

const hello = fc.tuple(casing('hello'), fc.constantFrom('2', '3'), casing('auth'), word, secret, fc.boolean(), word).map(
  ([name, proto, auth, user, pw, named, client]) => [name, proto, auth, user, pw, ...(named ? ['SETNAME', client] : [])] as CommandArg[],
);
const migrate = fc.tuple(casing('migrate'), fc.boolean(), casing('auth'), casing('auth2'), word, secret, fc.array(word, { maxLength: 3 })).map(
  ([name, two, auth, auth2, user, pw, keys]) => [name, '127.0.0.1', 6379, '', 0, 5000, 'COPY', ...(two ? [auth2, user, pw] : [auth, pw]), ...(keys.length > 0 ? ['KEYS', ...keys] : [])] as CommandArg[],
);
const auth = fc.tuple(casing('auth'), fc.option(word, { nil: undefined }), secret).map(([name, user, pw]) => (user === undefined ? [name, pw] : [name, user, pw]) as CommandArg[]);
const aclSetuser = fc.tuple(casing('acl'), casing('setuser'), word, fc.constantFrom('>', '<', '#', '!'), fc.array(fc.constantFrom('on', 'off', '~*', '+@all', 'nopass'), { maxLength: 3 })).map(
  ([name, sub, user, prefix, rules]) => [name, sub, user, ...rules, `${prefix}${SECRET}`, ...rules] as CommandArg[],
);
const configSet = fc.tuple(casing('config'), casing('set'), fc.constantFrom('requirepass', 'masterauth', 'MasterAuth'), fc.boolean()).map(
  ([name, sub, param, before]) => [name, sub, ...(before ? ['maxmemory', '10mb'] : []), param, SECRET, ...(before ? [] : ['timeout', '0'])] as CommandArg[],
);
const sentinelSet = fc.tuple(casing('sentinel'), casing('set'), word).map(([name, sub, master]) => [name, sub, master, 'quorum', '2', 'auth-pass', SECRET] as CommandArg[]);

const text = (a: CommandArg) => (Buffer.isBuffer(a) ? a.toString('latin1') : String(a));

it('never lets a credential through, never changes the caller array, touches nothing else', () => {
  fc.assert(
    fc.property(fc.oneof(hello, migrate, auth, aclSetuser, configSet, sentinelSet), (command) => {
      const before = command.map(text);
      const out = redactedArgs(text(command[0]).toLowerCase(), command);
      expect(command.map(text)).toEqual(before);
      expect(out).toHaveLength(command.length - 1);
      expect(inspect(out)).not.toContain(SECRET);
      expect(out.map(text).join(' ')).not.toContain(SECRET);
      // Every argument kept is the caller's own value, unchanged.
      out.forEach((a, i) => {
        if (a !== REDACTED) expect(a).toBe(command[i + 1]);
      });
    }),
    { numRuns: 500 },
  );
});

it('leaves commands without credentials alone', () => {
  fc.assert(
    fc.property(fc.constantFrom('get', 'set', 'hset', 'config', 'acl', 'client'), fc.array(word, { maxLength: 6 }), (name, args) => {
      fc.pre(!(name === 'config' && args[0] === 'set') && !(name === 'acl' && args[0] === 'setuser'));
      expect(redactedArgs(name, [name, ...args])).toEqual(args);
    }),
  );
});
