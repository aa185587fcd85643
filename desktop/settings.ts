/**
 * The desktop app's remembered server choice, in `<userData>/settings.json`.
 * Read with validation (a damaged or foreign file counts as "no choice"),
 * written atomically. No Electron here.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import {
  fingerprintSchema,
  hostAddressSchema,
  hostRegistrationSchema,
  portSchema,
} from '../protocol/desktop';
import { normalizeServerAddress } from './address';

export { portSchema };

/** An http(s) origin as produced by `normalizeServerAddress`. */
const originSchema = z
  .string()
  .max(2100)
  .refine((value) => {
    const normalized = normalizeServerAddress(value);
    return normalized.ok && normalized.url === value;
  }, 'not a normalized server origin');

/** The host's choices (registration and interface are absent in files of older versions). */
export const savedChoiceSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('host'),
    port: portSchema,
    registration: hostRegistrationSchema.optional(),
    address: hostAddressSchema.optional(),
  }),
  z.object({
    mode: z.literal('connect'),
    url: originSchema,
    fingerprint: fingerprintSchema.optional(),
  }),
]);
/** One of {@link savedChoiceSchema}. */
export type SavedChoice = z.infer<typeof savedChoiceSchema>;

/** `<userData>/settings.json`. */
export const settingsSchema = z.object({
  version: z.literal(1),
  server: savedChoiceSchema.nullable(),
});
/** The contents of `settings.json`. */
export type Settings = z.infer<typeof settingsSchema>;

/** No choice yet (first start). */
export const EMPTY_SETTINGS: Settings = { version: 1, server: null };

/** Reads the settings; a missing, unreadable or invalid file gives {@link EMPTY_SETTINGS}. */
export async function readSettings(file: string): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return EMPTY_SETTINGS;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return EMPTY_SETTINGS;
  }
  const parsed = settingsSchema.safeParse(json);
  return parsed.success ? parsed.data : EMPTY_SETTINGS;
}

/** Writes the settings atomically (temporary file, then rename). */
export async function writeSettings(file: string, settings: Settings): Promise<void> {
  const valid = settingsSchema.parse(settings);
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}
