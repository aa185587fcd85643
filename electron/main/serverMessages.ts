/**
 * Messages between the main process and the embedded server's utility
 * process (`serverProcess.ts`). Both sides validate what they receive. No Electron here.
 */
import { z } from 'zod';

/** main → server process */
export const toServerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    host: z.string().min(1).max(255),
    port: z.number().int().min(0).max(65535),
    dataDir: z.string().min(1).max(4096),
    corsOrigins: z.array(z.string().max(2048)).max(8),
    logFile: z.string().max(4096).optional(),
  }),
  z.object({ type: z.literal('shutdown') }),
]);
export type ToServer = z.infer<typeof toServerSchema>;

/** server process → main */
export const fromServerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), port: z.number().int().min(1).max(65535) }),
  z.object({
    type: z.literal('error'),
    code: z.enum(['port_in_use', 'internal']),
    message: z.string().max(4096),
  }),
  z.object({ type: z.literal('closed') }),
]);
export type FromServer = z.infer<typeof fromServerSchema>;
