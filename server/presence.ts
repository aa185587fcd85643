import type { PresenceChange } from '../protocol';

/** How long presence changes are gathered before one push. */
export const PRESENCE_WINDOW_MS = 100;

/**
 * Which users have at least one live connection on this node. A user's
 * first connection opening or last one closing is a change; changes are
 * gathered for {@link PRESENCE_WINDOW_MS} and reported in one batch (the
 * last state of each user wins), so 10,000 users connecting at once do not
 * cost 10,000 broadcasts.
 */
export class Presence {
  private readonly connections = new Map<string, number>();
  private pending = new Map<string, boolean>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly publish: (changes: PresenceChange[]) => void) {}

  /** Records a new connection of `userId`. */
  connected(userId: string): void {
    const n = (this.connections.get(userId) ?? 0) + 1;
    this.connections.set(userId, n);
    if (n === 1) this.changed(userId, true);
  }

  /** Records a closed connection of `userId`. */
  disconnected(userId: string): void {
    const n = (this.connections.get(userId) ?? 0) - 1;
    if (n > 0) {
      this.connections.set(userId, n);
      return;
    }
    this.connections.delete(userId);
    this.changed(userId, false);
  }

  /** True when `userId` has a live connection. */
  isOnline(userId: string): boolean {
    return this.connections.has(userId);
  }

  /** Drops pending changes and stops publishing (server shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private changed(userId: string, online: boolean): void {
    if (this.stopped) return;
    this.pending.set(userId, online);
    this.timer ??= setTimeout(() => this.flush(), PRESENCE_WINDOW_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const changes = [...this.pending].map(([userId, online]) => ({ userId, online }));
    this.pending = new Map();
    if (changes.length > 0) this.publish(changes);
  }
}
