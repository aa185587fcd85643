/**
 * The decision behind `session.setCertificateVerifyProc`: a host with pinned
 * fingerprints is accepted with exactly those certificates and refused with
 * any other (even one a public CA signed); other hosts get Chromium's own
 * verification. No Electron here.
 */
import { fingerprintOfPem, fromElectronFingerprint } from './fingerprint';

/** Electron's verify-proc answers: accept, refuse, or use Chromium's verdict. */
export const VERIFY = { accept: 0, refuse: -2, chromium: -3 } as const;

/** The parts of Electron's verify-proc request the decision needs. */
export interface CertificateRequest {
  hostname: string;
  certificate: { data: string; fingerprint: string };
}

/** Which of {@link VERIFY} to answer for `request`, given the pins of its host. */
export function certificateDecision(
  request: CertificateRequest,
  pinsForHost: (hostname: string) => string[],
): number {
  const pinned = pinsForHost(request.hostname);
  if (pinned.length === 0) return VERIFY.chromium;
  let actual: string | undefined;
  try {
    actual = fingerprintOfPem(request.certificate.data);
  } catch {
    actual = fromElectronFingerprint(request.certificate.fingerprint);
  }
  return actual !== undefined && pinned.includes(actual) ? VERIFY.accept : VERIFY.refuse;
}
