import type { Server } from 'socket.io';
import {
  deviceRoom,
  legacyRoom,
  mirrorRoom,
  type AckN,
  type ClientToServerEvents,
  type LogMsgN,
  type MsgN,
  type ReceiptN,
  type ServerToClientEvents,
} from '../protocol';

type Io = Server<ClientToServerEvents, ServerToClientEvents>;

/** A msg:N in exactly the wire-v1 shape. */
export function v1MsgN(p: LogMsgN): MsgN {
  return { id: p.id, from: p.from, to: p.to, body: p.body, ts: p.ts };
}

/**
 * Server pushes to people (all their connections, in the shape each
 * speaks). Rooms with nobody in them are skipped: Socket.IO would encode the
 * packet anyway.
 */
export class Pushes {
  constructor(private readonly io: Io) {}

  /** Connections in `room`. */
  members(room: string): number {
    return this.io.of('/').adapter.rooms.get(room)?.size ?? 0;
  }

  /** ack:N to every connection of `sender`: wire-v1 fields for v1, with the log fields for v2. */
  ackN(sender: string, packet: AckN): void {
    if (this.members(legacyRoom(sender)) > 0) {
      const { seq: _seq, conv: _conv, ...v1 } = packet;
      this.io.to(legacyRoom(sender)).emit('ack:N', v1);
    }
    if (this.members(mirrorRoom(sender)) > 0) this.io.to(mirrorRoom(sender)).emit('ack:N', packet);
  }

  /** msg:N to every connection of `recipient`, in the shape each speaks. */
  msgN(recipient: string, packet: LogMsgN): void {
    if (this.members(legacyRoom(recipient)) > 0) {
      this.io.to(legacyRoom(recipient)).emit('msg:N', v1MsgN(packet));
    }
    if (this.members(mirrorRoom(recipient)) > 0) {
      this.io.to(mirrorRoom(recipient)).emit('msg:N', packet);
    }
  }

  /**
   * A group's entry to the protocol-2 connections of `users` (one encoding
   * for all), except the device that wrote it when given.
   */
  toPeople(users: string[], packet: LogMsgN, exceptDevice?: string): void {
    const rooms = users.map(mirrorRoom).filter((room) => this.members(room) > 0);
    if (rooms.length === 0) return;
    const target = this.io.to(rooms);
    (exceptDevice ? target.except(deviceRoom(exceptDevice)) : target).emit('msg:N', packet);
  }

  /** Whether `user` has protocol-2 connections other than `device`'s. */
  hasOtherDevices(user: string, device: string, deviceIsMirror: boolean): boolean {
    return this.members(mirrorRoom(user)) > (deviceIsMirror ? this.members(deviceRoom(device)) : 0);
  }

  /** receipt:N to `sender`'s protocol-2 connections. */
  receipt(sender: string, packet: ReceiptN): void {
    if (this.members(mirrorRoom(sender)) > 0)
      this.io.to(mirrorRoom(sender)).emit('receipt:N', packet);
  }
}
