import { z } from 'zod';

/**
 * The web client's CSP has no `'unsafe-eval'`: zod must not probe
 * `new Function` (the probe is refused and reported as a CSP violation).
 * Imported first by `main.ts`, before any schema is used.
 */
z.config({ jitless: true });
