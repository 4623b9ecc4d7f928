/** Replaces the password of every URL in `text` (`redis://user:secret@host` → `redis://user:***@host`). */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(:[^\s/@]*)?@/gi, (_, scheme: string, user: string, pass: string | undefined) =>
    pass === undefined ? `${scheme}${user ? '***' : ''}@` : `${scheme}${user}:***@`,
  );
}
