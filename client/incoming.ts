import { ackN2Schema, directPeer, isGroupId, logMsgNSchema, receiptNSchema } from '../protocol';
import type { AckSender } from './acks';
import type { Outbox } from './outbox';
import { messageKey, type Added, type ClientStorage, type StoredMessage } from './storage';

/** Dependencies of {@link Incoming}. */
export interface IncomingDeps {
  userId: string;
  storage: ClientStorage;
  acks: AckSender;
  outbox: Outbox;
  /** Shows what a write added or changed (already persisted). */
  show: (added: Added) => void;
  /** A message of the person's changed status. */
  status: (message: StoredMessage) => void;
  /** A push to this device was missed: pull. */
  gap: () => void;
  /** A membership change arrived: refresh the conversation list. */
  membership: () => void;
}

/**
 * The server's pushes about messages: `msg:N` (persist with its pending
 * confirmation → dedup → `ack:R` until `ack:A`), `ack:N` and `receipt:N`.
 * Each handler resolves once its writes are done; a failed write rejects
 * (the engine reports it; the next pull repairs the push).
 */
export class Incoming {
  constructor(private readonly deps: IncomingDeps) {}

  /** `msg:N`: a message for the person, or written by them on another device. */
  async onMsgN(packet: unknown): Promise<void> {
    const parsed = logMsgNSchema.safeParse(packet);
    if (!parsed.success) return;
    const m = parsed.data;
    const { userId } = this.deps;
    if (!isGroupId(m.conv)) {
      if (m.to !== userId && m.from !== userId) return;
      if (directPeer(m.conv, userId) === undefined) return;
    } else if (m.to !== m.conv) return;
    // Persist first (with the confirmation owed), then acknowledge: an
    // ack:R means "it is on this device". Every copy is acknowledged.
    const added = await this.deps.storage.addFromServer(userId, [m], { pendingAck: true });
    this.deps.acks.owe({ key: messageKey(m.from, m.id), from: m.from, id: m.id });
    this.deps.show(added);
    // A gap in the conversation's seq: a push to this device was missed.
    if (added.gap) this.deps.gap();
    // A membership change: the group's name, or whether the person is in it, may differ.
    if (m.kind === 'system') this.deps.membership();
  }

  /** `receipt:N`: who has and who read the person's group messages. */
  async onReceiptN(packet: unknown): Promise<void> {
    const parsed = receiptNSchema.safeParse(packet);
    if (!parsed.success) return;
    for (const m of await this.deps.storage.applyReceipts(this.deps.userId, parsed.data)) {
      this.deps.status(m);
    }
  }

  /** `ack:N`: a direct message of the person reached the recipient (or waits for them). */
  async onAckN(packet: unknown): Promise<void> {
    const parsed = ackN2Schema.safeParse(packet);
    if (!parsed.success) return;
    if (await this.deps.outbox.onAckN(parsed.data)) return;
    // One of the person's messages from another device.
    const { id, offline, ts, seq } = parsed.data;
    const updated = await this.deps.storage.advance(
      messageKey(this.deps.userId, id),
      offline ? 'stored' : 'delivered',
      { ts, ...(seq !== undefined ? { seq } : {}) },
    );
    if (updated) this.deps.status(updated);
  }
}
