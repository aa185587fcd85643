/**
 * The decision behind `session.setCertificateVerifyProc`, with real
 * certificates made as the server makes its own (`tls: 'auto'`, for
 * 127.0.0.1), without starting servers for them: exactly the pinned
 * certificate for a pinned host, refusal for any other, Chromium's own
 * verdict for hosts that have no pin.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateDecision, VERIFY } from '../../../desktop/certificateCheck';
import { fingerprintOfPem, fromElectronFingerprint } from '../../../desktop/fingerprint';
import { loadOrCreateCertificate } from '../../../server/tls';
import { tempDir } from '../../support/servers';

/** What Electron hands the verify proc: the PEM and `sha256/<base64 of the DER's hash>`. */
function electronCertificate(pem: string) {
  const der = new X509Certificate(pem).raw;
  return { data: pem, fingerprint: `sha256/${createHash('sha256').update(der).digest('base64')}` };
}

describe('certificate check (verify proc)', () => {
  let pem = '';
  let other = '';
  const dirs: { remove: () => void }[] = [];
  // Only the certificates: two server starts (SQLite, a worker thread) took over 10 s at load 12.
  beforeAll(async () => {
    for (const target of ['pem', 'other'] as const) {
      const dir = tempDir('tickline-cert-');
      dirs.push(dir);
      const { cert } = await loadOrCreateCertificate(dir.dir, ['127.0.0.1']);
      if (target === 'pem') pem = cert;
      else other = cert;
    }
  });
  afterAll(() => {
    for (const dir of dirs) dir.remove();
  });

  it('reads Electron’s sha256/base64 fingerprint as the AB:CD:… form people compare', () => {
    const cert = electronCertificate(pem);
    expect(fromElectronFingerprint(cert.fingerprint)).toBe(fingerprintOfPem(pem));
    expect(fromElectronFingerprint('sha1/abc=')).toBeUndefined();
  });

  it('accepts exactly the pinned certificate for a pinned host', () => {
    const pins = (host: string) => (host === '10.0.0.5' ? [fingerprintOfPem(pem)] : []);
    const request = (data: string, host = '10.0.0.5') => ({
      hostname: host,
      certificate: electronCertificate(data),
    });
    expect(certificateDecision(request(pem), pins)).toBe(VERIFY.accept);
    expect(certificateDecision(request(other), pins)).toBe(VERIFY.refuse);
    // A host without a pin: Chromium decides (a self-signed one is then refused by it).
    expect(certificateDecision(request(other, 'example.com'), pins)).toBe(VERIFY.chromium);
  });

  it('falls back to Electron’s fingerprint when the PEM cannot be read, and refuses garbage', () => {
    const pins = () => [fingerprintOfPem(pem)];
    const cert = electronCertificate(pem);
    expect(
      certificateDecision({ hostname: 'h', certificate: { ...cert, data: 'not pem' } }, pins),
    ).toBe(VERIFY.accept);
    expect(
      certificateDecision(
        { hostname: 'h', certificate: { data: 'not pem', fingerprint: 'nonsense' } },
        pins,
      ),
    ).toBe(VERIFY.refuse);
  });
});
