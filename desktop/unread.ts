/** Unread counts reported by each window, summed for the tray and dock badge. No Electron here. */
export class UnreadCounts {
  private readonly counts = new Map<number, number>();

  /** Records `count` for window `windowId`; returns the new total. */
  set(windowId: number, count: number): number {
    if (count > 0) this.counts.set(windowId, Math.floor(count));
    else this.counts.delete(windowId);
    return this.total();
  }

  /** Forgets a closed window; returns the new total. */
  remove(windowId: number): number {
    this.counts.delete(windowId);
    return this.total();
  }

  total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }
}

/** Tray tooltip for a total unread count. */
export function trayTooltip(total: number): string {
  if (total <= 0) return 'Tickline';
  return `Tickline — ${total} unread message${total === 1 ? '' : 's'}`;
}

/** Short badge text (`99+` above 99), empty when nothing is unread. */
export function badgeText(total: number): string {
  if (total <= 0) return '';
  return total > 99 ? '99+' : String(total);
}
