import { offlineA2Schema, OFFLINE_MAX_LIMIT, type ClientPolicy } from '../protocol';
import type { Added, ClientStorage } from './storage';

/** What catching up needs from the connection. */
export interface CatchUpLink {
  connected(): boolean;
  /** Emits an event with a timeout and resolves with its answer. */
  ask(event: 'offline:R' | 'offlineack:R', payload: unknown, timeoutMs: number): Promise<unknown>;
}

/** Dependencies of {@link CatchUp}. */
export interface CatchUpDeps {
  userId: string;
  storage: ClientStorage;
  link: CatchUpLink;
  policy: () => ClientPolicy;
  /** Messages asked for per `offline:R`. */
  pullLimit?: number;
  /** Called with what each page added (already persisted). */
  added: (added: Added) => void;
  /** A page or its confirmation failed. */
  failed: (error: unknown) => void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * This device's catch-up: pulls what the server holds for it from its
 * cursor (`offline:R` pages), stores each page, then confirms it
 * (`offlineack:R`). Runs after every (re)connect, whenever a gap in a
 * conversation's `seq` shows that a push was missed, and on a slow timer as
 * a safety net for a push lost on a connection that stayed up.
 */
export class CatchUp {
  private pulling: Promise<void> | undefined;
  private wanted = false;
  private atStart = true;
  private closed = false;

  constructor(private readonly deps: CatchUpDeps) {}

  /** A new connection: the server's page cursor starts at the beginning. */
  connected(): void {
    this.atStart = true;
    this.request();
  }

  /** Asks for a pull (coalesced with one in progress). */
  request(): void {
    if (this.closed) return;
    this.wanted = true;
    this.pulling ??= this.loop().finally(() => {
      this.pulling = undefined;
    });
  }

  /** Resolves once no pull is running. */
  async settled(): Promise<void> {
    while (this.pulling) await this.pulling;
  }

  /** Stops pulling. */
  close(): void {
    this.closed = true;
  }

  /**
   * Pulls `offline:R` pages until `more` is false. The server pages each
   * connection with a cursor that returns to the start after a page with
   * `more: false`; a pass that lost a page or an ack is therefore followed
   * by passes until one that began at the start completes cleanly.
   */
  private async loop(): Promise<void> {
    const { link, storage } = this.deps;
    const limit = Math.min(this.deps.pullLimit ?? OFFLINE_MAX_LIMIT, OFFLINE_MAX_LIMIT);
    while (this.wanted && link.connected() && !this.closed) {
      this.wanted = false;
      const timeout = this.deps.policy().ackTimeoutMs * 2;
      let clean = this.atStart;
      let more = true;
      while (more && link.connected() && !this.closed) {
        try {
          this.atStart = false;
          const answer = offlineA2Schema.parse(await link.ask('offline:R', { limit }, timeout));
          more = answer.more;
          this.atStart = !more;
          const added = await storage.addFromServer(this.deps.userId, answer.messages);
          this.deps.added(added);
          if (answer.messages.length > 0) {
            const ids = answer.messages.map(({ from, id }) => ({ from, id }));
            const ack = (await link.ask('offlineack:R', { ids }, timeout)) as {
              ok: boolean;
              error?: { message: string };
            };
            if (!ack.ok) throw new Error(ack.error?.message ?? 'offlineack refused');
          }
        } catch (error) {
          clean = false;
          this.deps.failed(error);
          await sleep(this.deps.policy().ackTimeoutMs);
          if (!more) break;
        }
      }
      if (!clean) this.wanted = true;
    }
  }
}
