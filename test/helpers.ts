/**
 * Polls `check` until it returns true (or a value passing `expect` in it stops throwing),
 * bounded by `timeoutMs`. For conditions the server decides on its own schedule (a closed
 * socket disappearing from CLIENT LIST), where no event exists to wait on.
 */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      if (Date.now() > deadline) throw new Error('condition still false');
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
