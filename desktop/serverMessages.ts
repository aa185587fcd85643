/**
 * Messages between the main process and the embedded server's utility
 * process (`serverProcess.ts`). Both sides validate what they receive. No Electron here.
 */
import { z } from 'zod';
import { fingerprintSchema } from '../protocol/desktop';

/** main → server process: start (once) or shut down */
export const toServerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    host: z.string().min(1).max(255),
    port: z.number().int().min(0).max(65535),
    dataDir: z.string().min(1).max(4096),
    corsOrigins: z.array(z.string().max(2048)).max(8),
    logFile: z.string().max(4096).optional(),
    registration: z.enum(['open', 'invite']),
    /** `auto`: the server's self-signed certificate in its data folder; `off`: plain http (tests). */
    tls: z.enum(['auto', 'off']),
    /** The web client, for colleagues without the app. */
    webRoot: z.string().max(4096).optional(),
    /** Name advertised on the LAN (mDNS). */
    name: z.string().max(63).optional(),
  }),
  z.object({ type: z.literal('shutdown') }),
]);
/** A message of {@link toServerSchema}. */
export type ToServer = z.infer<typeof toServerSchema>;

/** server process → main: ready (with the certificate's fingerprint and any setup code), error, closed */
export const fromServerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    port: z.number().int().min(1).max(65535),
    fingerprint: fingerprintSchema.optional(),
    /** The setup code, while the server has no account (the owner's first one needs it). */
    setupCode: z.string().min(1).max(64).optional(),
  }),
  z.object({
    type: z.literal('error'),
    code: z.enum(['port_in_use', 'internal']),
    message: z.string().max(4096),
  }),
  z.object({ type: z.literal('closed') }),
]);
/** A message of {@link fromServerSchema}. */
export type FromServer = z.infer<typeof fromServerSchema>;
