/**
 * Runs a reload one at a time. `refresh()` joins the run under way; `schedule()` asks for one
 * soon: requests while one runs are merged into a single follow-up, and runs start at most
 * every `minGapMs` — a reshard answering thousands of commands with MOVED, or a burst of
 * sentinel events, costs a handful of queries, not thousands.
 */
export class Refresher {
  private running: Promise<void> | null = null;
  private again = false;
  private delay: NodeJS.Timeout | null = null;
  private lastEnd = 0;
  private closed = false;

  constructor(
    private readonly load: () => Promise<void>,
    private readonly minGapMs: number,
  ) {}

  /** The run under way, if any. */
  get current(): Promise<void> | null {
    return this.running;
  }

  /** Asks for a run soon (merged with one running or due); its failure is left to the next one. */
  schedule(): void {
    if (this.closed) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    if (this.delay !== null) return;
    const wait = this.lastEnd + this.minGapMs - Date.now();
    if (wait > 0) {
      this.delay = setTimeout(() => {
        this.delay = null;
        this.refresh().catch(() => {});
      }, wait);
      this.delay.unref();
      return;
    }
    this.refresh().catch(() => {});
  }

  /** Runs now (joining a run under way). */
  refresh(): Promise<void> {
    if (this.running !== null) return this.running;
    this.running = this.load().finally(() => {
      this.running = null;
      this.lastEnd = Date.now();
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
    return this.running;
  }

  /** No more runs start; one under way finishes on its own. */
  close(): void {
    this.closed = true;
    if (this.delay !== null) clearTimeout(this.delay);
    this.delay = null;
  }
}
