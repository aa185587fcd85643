import type { Logger } from 'pino';
import type { StoreWriter } from './storeWriter';

/** Messages deleted per transaction by the retention job. */
export const RETENTION_BATCH = 500;
/** How often the retention job looks for expired messages. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes messages older than the retention period (`--retention-days`), in
 * small batches through the store writer, yielding to the event loop between
 * batches so that live traffic never waits long behind it.
 */
export class RetentionJob {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly writer: StoreWriter,
    private readonly log: Logger,
    private readonly days: number,
    private readonly batch = RETENTION_BATCH,
  ) {}

  /** Runs soon after start, then every {@link RETENTION_INTERVAL_MS}. */
  start(): void {
    const loop = () => {
      this.timer = setTimeout(() => {
        void this.runOnce().finally(() => {
          if (!this.stopped) loop();
        });
      }, RETENTION_INTERVAL_MS);
      this.timer.unref();
    };
    this.timer = setTimeout(() => void this.runOnce().finally(loop), 1_000);
    this.timer.unref();
  }

  /** Deletes everything stored before `now` minus the retention period; resolves with the count. */
  runOnce(now = Date.now()): Promise<number> {
    this.running ??= this.sweep(now - this.days * DAY_MS).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops scheduling; a sweep in progress ends after its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async sweep(cutoff: number): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.stopped) break;
      const { deleted, more } = await this.writer.run('deleteExpired', [cutoff, this.batch]);
      total += deleted;
      if (!more) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (total > 0)
      this.log.info({ deleted: total, days: this.days }, 'retention: expired messages deleted');
    return total;
  }
}
