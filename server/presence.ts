/**
 * Which users have at least one live connection on this node. Changes are
 * reported through `onChange` when a user's first connection opens or last
 * one closes.
 */
export class Presence {
  private readonly connections = new Map<string, number>();

  constructor(private readonly onChange: (userId: string, online: boolean) => void) {}

  /** Records a new connection of `userId`. */
  connected(userId: string): void {
    const n = (this.connections.get(userId) ?? 0) + 1;
    this.connections.set(userId, n);
    if (n === 1) this.onChange(userId, true);
  }

  /** Records a closed connection of `userId`. */
  disconnected(userId: string): void {
    const n = (this.connections.get(userId) ?? 0) - 1;
    if (n > 0) {
      this.connections.set(userId, n);
      return;
    }
    this.connections.delete(userId);
    this.onChange(userId, false);
  }

  /** True when `userId` has a live connection. */
  isOnline(userId: string): boolean {
    return this.connections.has(userId);
  }
}
