/**
 * Long runs bounded by the work they do, not by the wall clock: a
 * {@link ProgressWatch} fails the phase that runs when nothing has been done
 * for `stallMs` (each piece of work done calls {@link ProgressWatch.progress}),
 * or when the whole run passed its deadline, saying which phase, what it was
 * doing when it last got something done, and what it is waiting for now. A
 * run that keeps making progress on a slow machine is not failed for being
 * slow; one that stops is failed soon, with the reason.
 */

/** What a phase is waiting for, for the failure message (counts, devices, examples). */
export type Describe = () => string | Promise<string>;

/** Why a phase failed: stalled, or past the run's deadline. */
export class StallError extends Error {
  override name = 'StallError';
}

export interface ProgressWatchOptions {
  /** A phase fails when nothing has been done for this long (ms). */
  stallMs: number;
  /** What `stallMs` was derived from, for the failure message. */
  basis: string;
  /** The whole run fails after this long (ms) even while it progresses. */
  deadlineMs: number;
  /** The clock (ms); `Date.now` by default. */
  now?: () => number;
}

/** How many stall limits work below the steps may go on without a step. */
export const BUSY_LIMITS = 3;

export class ProgressWatch {
  private readonly now: () => number;
  private readonly started: number;
  private last: number;
  private lastWhat = 'nothing yet';
  /** When work below the phase's steps (a storage operation) last completed. */
  private lastActivity: number;
  private done = 0;
  /** A floor under `stallMs` for the current phase (e.g. three of its slowest checks). */
  private floorMs = 0;
  private current = 'no phase';
  /** Set once a phase failed: work still going on in the background should stop. */
  stopped = false;

  constructor(private readonly options: ProgressWatchOptions) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.last = this.started;
    this.lastActivity = this.started;
  }

  /** Something was done (`what`, for the failure message): the stall clock restarts. */
  progress(what: string): void {
    this.done++;
    this.last = this.now();
    this.lastWhat = what;
  }

  /**
   * Work below the phase's own steps got done (e.g. a storage operation
   * completed): the phase is not stuck, though it may not have reached its
   * next step yet (a backlog is draining). That holds off a stall for at most
   * {@link BUSY_LIMITS} limits: busy without a step for longer is a livelock.
   */
  activity(): void {
    this.lastActivity = this.now();
  }

  /**
   * Lets the current phase go without progress for at least `ms`: a phase
   * whose single step (one check of every device) takes long on a busy
   * machine is given a few of them.
   */
  allowAtLeast(ms: number): void {
    this.floorMs = Math.max(this.floorMs, ms);
  }

  /** How long the current phase may go without progress (ms). */
  get limitMs(): number {
    return Math.max(this.options.stallMs, this.floorMs);
  }

  /** The phase running now. */
  get phaseName(): string {
    return this.current;
  }

  /**
   * Runs `work` as the phase `name`. It rejects with a {@link StallError}
   * when nothing is done for {@link limitMs}, or when the run passes its
   * deadline; the message holds `describe()`'s account of what the phase is
   * waiting for. `work` goes on in the background then: the caller must stop
   * what it started (close clients, servers).
   */
  async phase<T>(name: string, work: () => Promise<T>, describe: Describe): Promise<T> {
    this.current = name;
    this.floorMs = 0;
    this.progress(`${name} began`);
    let timer: ReturnType<typeof setInterval> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      const check = async () => {
        const now = this.now();
        const overdue = now - this.started > this.options.deadlineMs;
        const idle = now - Math.max(this.last, this.lastActivity);
        const stepless = now - this.last;
        const busy = stepless >= BUSY_LIMITS * this.limitMs;
        if (idle < this.limitMs && !busy && !overdue) return;
        clearInterval(timer);
        this.stopped = true;
        const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
        let state: string;
        let unread: ReturnType<typeof setTimeout> | undefined;
        try {
          // Reading the state must not hang the failure (it may wait on what is stuck).
          state = await Promise.race([
            Promise.resolve().then(describe),
            new Promise<string>((resolve) => {
              unread = setTimeout(
                () => resolve(`(what it waits for could not be read in ${s(this.limitMs)})`),
                this.limitMs,
              );
            }),
          ]);
        } catch (error) {
          state = `(what it waits for could not be read: ${String(error)})`;
        } finally {
          clearTimeout(unread);
        }
        reject(
          new StallError(
            overdue
              ? `the run passed its deadline of ${s(this.options.deadlineMs)} in phase "${name}" ` +
                  `(still working: ${this.done} steps done, the last ${s(now - this.last)} ago: ${this.lastWhat}); ${state}`
              : busy && idle < this.limitMs
                ? `phase "${name}" stalled: busy but no step done for ${s(stepless)} ` +
                  `(${BUSY_LIMITS} × the limit of ${s(this.limitMs)}, from ${this.options.basis}); ` +
                  `the last step done: ${this.lastWhat}; ${state}`
                : `phase "${name}" stalled: nothing done for ${s(idle)} (limit ${s(this.limitMs)}, ` +
                  `from ${this.options.basis}); the last step done: ${this.lastWhat} ` +
                  `(${s(stepless)} ago); ${state}`,
          ),
        );
      };
      timer = setInterval(
        () => void check(),
        Math.max(50, Math.min(1_000, this.options.stallMs / 10)),
      );
    });
    const running = work();
    // Once the phase failed, what `work` still does may fail too (its clients closed): not news.
    running.catch(() => undefined);
    try {
      return await Promise.race([running, stalled]);
    } finally {
      clearInterval(timer);
    }
  }
}

/**
 * Re-checks `remaining` (how much is still missing, 0 when done) until it is
 * 0. Each new lowest count is progress for `watch`; the phase is given at
 * least three times its slowest check. Between checks it waits `pauseMs`
 * (the check reads every device: back to back they would starve the engines).
 */
export async function converge(
  watch: ProgressWatch,
  what: string,
  remaining: () => Promise<number>,
  pauseMs = 200,
): Promise<void> {
  let best = Infinity;
  for (;;) {
    if (watch.stopped) throw new StallError(`stopped waiting until ${what}`);
    const started = Date.now();
    const left = await remaining();
    watch.allowAtLeast(3 * (Date.now() - started));
    if (left === 0) {
      watch.progress(`${what}: done`);
      return;
    }
    if (left < best) {
      best = left;
      watch.progress(`${what}: ${left} left`);
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}
