import type { Throttle } from './outbox';

/**
 * The messages the server holds back now, and the one the UI is told
 * about: the newest throttle, or `undefined` once none is left.
 */
export class Throttles {
  private readonly active = new Map<string, Throttle>();
  private shown: Throttle | undefined;

  constructor(private readonly report: (throttle: Throttle | undefined) => void) {}

  /** Message `key` is held back (`throttle`) or no longer (`undefined`). */
  set(key: string, throttle: Throttle | undefined): void {
    if (throttle) {
      this.active.delete(key);
      this.active.set(key, throttle);
    } else if (!this.active.delete(key)) return;
    const newest = [...this.active.values()].at(-1);
    if (newest === this.shown) return;
    this.shown = newest;
    this.report(newest && { ...newest });
  }

  /** What the UI shows now. */
  get current(): Throttle | undefined {
    return this.shown;
  }
}
