import type { Bound, CacheBackend } from '../../client/logCache';
import type { MaybePromise } from '../../client/routine';
import type { OutStatus } from '../../client/status';
import type { Conversation, PendingAck, StoredMessage } from '../../client/storage';
import type { ConversationId } from '../../protocol';

/** A write a {@link FaultyBackend} can be made to fail. */
export type WriteOp = 'putMessages' | 'putConversation' | 'setMeta' | 'putAcks' | 'deleteAcks';

/** Decides whether one write fails: its operation and its argument. */
export type WriteFault = (op: WriteOp, arg: unknown) => boolean;

/** The error an injected fault throws. */
export class InjectedFault extends Error {
  constructor(op: WriteOp) {
    super(`injected storage failure: ${op}`);
    this.name = 'InjectedFault';
  }
}

/**
 * A {@link CacheBackend} in front of a real one whose writes can be made to
 * fail: while any rule in `faults` says so, the write throws (synchronously,
 * inside the routine's transaction, so the real backend rolls the whole
 * routine back — IndexedDB aborts the transaction, memory undoes it).
 * Reads pass through. Every failure is counted in `failures`.
 */
export class FaultyBackend implements CacheBackend {
  /** Active rules; a write fails when any says so. */
  readonly faults = new Set<WriteFault>();
  /** Writes failed so far, by operation. */
  readonly failures = new Map<WriteOp, number>();

  constructor(readonly inner: CacheBackend) {}

  /** Fails the next `count` writes `op` whose argument `match` accepts. */
  failNext(op: WriteOp, count = 1, match: (arg: unknown) => boolean = () => true): void {
    let left = count;
    const rule: WriteFault = (o, arg) => {
      if (o !== op || left === 0 || !match(arg)) return false;
      if (--left === 0) this.faults.delete(rule);
      return true;
    };
    this.faults.add(rule);
  }

  private check(op: WriteOp, arg: unknown): void {
    for (const fault of this.faults) {
      if (fault(op, arg)) {
        this.failures.set(op, (this.failures.get(op) ?? 0) + 1);
        throw new InjectedFault(op);
      }
    }
  }

  atomic<T>(fn: () => MaybePromise<T>): MaybePromise<T> {
    return this.inner.atomic(fn);
  }
  getMessages(keys: string[]): MaybePromise<(StoredMessage | undefined)[]> {
    return this.inner.getMessages(keys);
  }
  putMessages(list: StoredMessage[]): MaybePromise<void> {
    this.check('putMessages', list);
    return this.inner.putMessages(list);
  }
  range(
    conv: ConversationId,
    lower: Bound | undefined,
    upper: Bound | undefined,
    limit: number,
    reverse: boolean,
  ): MaybePromise<StoredMessage[]> {
    return this.inner.range(conv, lower, upper, limit, reverse);
  }
  byStatus(statuses: OutStatus[]): MaybePromise<StoredMessage[]> {
    return this.inner.byStatus(statuses);
  }
  getConversation(conv: ConversationId): MaybePromise<Conversation | undefined> {
    return this.inner.getConversation(conv);
  }
  putConversation(row: Conversation): MaybePromise<void> {
    this.check('putConversation', row);
    return this.inner.putConversation(row);
  }
  allConversations(): MaybePromise<Conversation[]> {
    return this.inner.allConversations();
  }
  getMeta(name: string): MaybePromise<unknown> {
    return this.inner.getMeta(name);
  }
  setMeta(name: string, value: unknown): MaybePromise<void> {
    this.check('setMeta', { name, value });
    return this.inner.setMeta(name, value);
  }
  putAcks(list: PendingAck[]): MaybePromise<void> {
    this.check('putAcks', list);
    return this.inner.putAcks(list);
  }
  deleteAcks(keys: string[]): MaybePromise<void> {
    this.check('deleteAcks', keys);
    return this.inner.deleteAcks(keys);
  }
  allAcks(): MaybePromise<PendingAck[]> {
    return this.inner.allAcks();
  }
  close(): void {
    this.inner.close();
  }
}
