import type pg from 'pg';
import type { DeviceRecord } from '../../store';
import type { AccountsRepository } from '../repositories';
import { visibleHead } from './streamPositions';

/** Accounts and devices in PostgreSQL (what the conversation logs need so far). */
export class PostgresAccountsRepository implements AccountsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insertUser(
    user: {
      id: string;
      username: string;
      displayName: string;
      passwordHash: string;
      isAdmin?: boolean;
    },
    now: number,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO users (id, username, display_name, password_hash, created_at, is_admin)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [user.id, user.username, user.displayName, user.passwordHash, now, user.isAdmin === true],
    );
  }

  async insertDevice(
    device: { deviceId: string; userId: string; name: string },
    tokenHash: Buffer,
    now: number,
    expiresAt: number,
  ): Promise<void> {
    // The new device's stream starts after what is visible now: every
    // position not yet visible is above it (streamPositions.ts), so a
    // message committing meanwhile still reaches the device.
    const head = await visibleHead(this.pool);
    await this.pool.query(
      `INSERT INTO devices (id, user_id, token_hash, name, created_at, last_seen_at, expires_at,
                            created_gseq, cursor)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $7)`,
      [device.deviceId, device.userId, tokenHash, device.name, now, expiresAt, head],
    );
  }

  async device(deviceId: string): Promise<DeviceRecord | undefined> {
    const { rows } = await this.pool.query<DeviceRecord>(
      `SELECT id AS "deviceId", user_id AS "userId", name, created_at AS "createdAt",
              last_seen_at AS "lastSeenAt", expires_at AS "expiresAt",
              created_gseq AS "createdGseq", cursor
       FROM devices WHERE id = $1`,
      [deviceId],
    );
    return rows[0];
  }
}
