/** Certificate fingerprints in the form people compare (`AB:CD:…`, SHA-256 of the DER). No Electron here. */
import { certificateFingerprint, shortFingerprint } from '../server/tls';

/** The server's short form (`AB12 CD34 EF56 7890`), so host and app show the same text. */
export { shortFingerprint };

/** The SHA-256 fingerprint of a PEM certificate, `AB:CD:…` (32 bytes). */
export function fingerprintOfPem(pem: string): string {
  return certificateFingerprint(pem);
}

/** Electron's `sha256/<base64>` fingerprint in the `AB:CD:…` form; undefined for anything else. */
export function fromElectronFingerprint(value: string): string | undefined {
  const match = /^sha256\/([A-Za-z0-9+/]{43}=)$/.exec(value);
  if (!match?.[1]) return undefined;
  const bytes = Buffer.from(match[1], 'base64');
  if (bytes.length !== 32) return undefined;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}
