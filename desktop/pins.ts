/**
 * Trust on first use: the certificate fingerprint the person accepted for each
 * server origin, kept in `<userData>/pins.json` (mode 0600, written
 * atomically). A damaged file pins nothing, so every server asks again. No Electron here.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { fingerprintSchema } from '../protocol/desktop';

const pinsFileSchema = z.object({
  version: z.literal(1),
  pins: z.record(z.string().max(2100), fingerprintSchema),
});

/** How a fingerprint compares with the pin of its origin. */
export type PinState = 'new' | 'same' | 'changed';

/** The pinned fingerprints, by origin (`https://host:port`). */
export class PinStore {
  private pins = new Map<string, string>();
  private loaded: Promise<void> | undefined;
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly file: string) {}

  /** Reads the file once (later calls wait for the same read). */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      try {
        const parsed = pinsFileSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
        if (parsed.success) this.pins = new Map(Object.entries(parsed.data.pins));
      } catch {
        // Missing or unreadable: nothing pinned yet.
      }
    })();
    return this.loaded;
  }

  /** The pinned fingerprint of `origin`, if any. */
  get(origin: string): string | undefined {
    return this.pins.get(origin);
  }

  /** Compares `fingerprint` with the pin of `origin`. */
  check(origin: string, fingerprint: string): PinState {
    const pinned = this.pins.get(origin);
    if (pinned === undefined) return 'new';
    return pinned === fingerprint ? 'same' : 'changed';
  }

  /** Every fingerprint pinned for `hostname` (any port): what the certificate check accepts. */
  forHost(hostname: string): string[] {
    const bare = (host: string) => host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const found: string[] = [];
    for (const [origin, fingerprint] of this.pins) {
      if (bare(new URL(origin).hostname) === bare(hostname)) found.push(fingerprint);
    }
    return found;
  }

  /** Pins `fingerprint` for `origin` and saves the file before resolving. */
  async set(origin: string, fingerprint: string): Promise<void> {
    fingerprintSchema.parse(fingerprint);
    await this.load();
    if (this.pins.get(origin) === fingerprint) return;
    this.pins.set(origin, fingerprint);
    await this.save();
    for (const listener of this.changeListeners) listener();
  }

  /** Calls `listener` after every change (the app then re-installs its certificate check). */
  onChange(listener: () => void): void {
    this.changeListeners.add(listener);
  }

  private async save(): Promise<void> {
    const body = { version: 1 as const, pins: Object.fromEntries(this.pins) };
    await mkdir(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.file);
  }
}
