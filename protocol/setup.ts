/**
 * The one-time setup code of an empty server (issue 21): who creates the
 * first account (the admin) must give the code the server printed on its
 * console, so that whoever reaches a fresh server first cannot own it.
 */
import { z } from 'zod';

/** The letters of a setup code: Crockford's base32 (no I, L, O, U: nothing to misread). */
export const SETUP_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Letters in a setup code: 20 of 32 possible, 100 random bits. */
export const SETUP_CODE_LENGTH = 20;

/**
 * A setup code as a person may type it, in its canonical form: upper case,
 * without the dashes and spaces it is shown with; I and L are read as 1, O as 0.
 */
export function normalizeSetupCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** A setup code in canonical form, or why the text cannot be one. */
export const setupCodeSchema = z
  .string()
  .max(64)
  .transform(normalizeSetupCode)
  .refine(
    (code) =>
      code.length === SETUP_CODE_LENGTH && [...code].every((c) => SETUP_CODE_ALPHABET.includes(c)),
    `a setup code is ${SETUP_CODE_LENGTH} letters and digits, as the server printed it`,
  );

/** `GET /api/setup` answer: true while the server has no account and the first one needs the setup code. */
export const setupStatusSchema = z.object({ setupRequired: z.boolean() });
/** `GET /api/setup` answer. */
export type SetupStatus = z.infer<typeof setupStatusSchema>;
