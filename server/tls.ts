/**
 * The server's TLS certificate: a self-signed ECDSA P-256 certificate made on
 * first start and kept in the data directory (so its fingerprint, which people
 * compare and pin, never changes), or one the operator provides.
 */
import { createHash, createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { privateIfPresent } from './dataDir';
import { hostname, networkInterfaces } from 'node:os';
import path from 'node:path';

/** File names of the automatic certificate and its key in the data directory. */
export const TLS_FILES = { cert: 'tls-cert.pem', key: 'tls-key.pem' } as const;

/** How long the automatic certificate is valid: 10 years (see docs/SECURITY.md). */
export const AUTO_CERT_YEARS = 10;

/** A certificate and its private key, PEM. */
export interface TlsPair {
  cert: string;
  key: string;
}

/** A certificate or key that cannot be used (unreadable, not PEM, not a pair). */
export class TlsError extends Error {
  override name = 'TlsError';
}

/**
 * SHA-256 of a certificate's DER bytes as 32 uppercase hex pairs joined by
 * `:` (`AB:CD:…`), the same as `openssl x509 -fingerprint -sha256`. Takes a
 * PEM string (the first certificate in it) or the DER bytes.
 */
export function certificateFingerprint(pemOrDer: string | Uint8Array): string {
  const der =
    typeof pemOrDer === 'string' ? new X509Certificate(pemOrDer).raw : Buffer.from(pemOrDer);
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/**
 * The short form of a fingerprint that people read aloud or compare on two
 * screens: its first 8 bytes as four groups of four hex digits,
 * `AB12 CD34 EF56 7890` (64 bits; see docs/SECURITY.md).
 */
export function shortFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/[^0-9a-f]/gi, '').toUpperCase();
  if (hex.length < 16) throw new TlsError(`not a fingerprint: "${fingerprint}"`);
  return hex.slice(0, 16).match(/.{4}/g)!.join(' ');
}

/** Checks that `pair` is a certificate and the private key that belongs to it; its fingerprint. */
export function checkPair(pair: TlsPair, where = 'the certificate'): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.cert);
  } catch {
    throw new TlsError(`${where} is not a PEM certificate`);
  }
  let key;
  try {
    key = createPrivateKey(pair.key);
  } catch {
    throw new TlsError(`${where}'s key is not a PEM private key`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new TlsError(`${where} and the key do not belong together`);
  }
  return certificateFingerprint(cert.raw);
}

/** Reads a certificate file and a key file given by the operator (`--tls-cert`, `--tls-key`). */
export function readPair(certFile: string, keyFile: string): TlsPair {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new TlsError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
    }
  };
  const pair = { cert: read(certFile, 'certificate'), key: read(keyFile, 'key') };
  checkPair(pair, `certificate ${certFile}`);
  return pair;
}

/**
 * The names the automatic certificate is made for: every address of this
 * machine, `localhost`, 127.0.0.1, ::1, the host name and `HOST.local`, plus
 * `extra` (e.g. the bound address).
 */
export function certificateNames(extra: string[] = []): { dns: string[]; ips: string[] } {
  const dns = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  const host = hostname().toLowerCase();
  if (host) {
    dns.add(host);
    if (!host.endsWith('.local')) dns.add(`${host.split('.')[0]}.local`);
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) ips.add(info.address.split('%')[0]!);
  }
  for (const name of extra) {
    if (!name || name === '0.0.0.0' || name === '::') continue;
    (/^[\d.]+$|:/.test(name) ? ips : dns).add(name);
  }
  return { dns: [...dns], ips: [...ips] };
}

/** Makes a self-signed ECDSA P-256 certificate for `names`, valid from yesterday for {@link AUTO_CERT_YEARS}. */
export async function createSelfSigned(names: { dns: string[]; ips: string[] }): Promise<TlsPair> {
  // @peculiar/x509 needs a Reflect metadata polyfill loaded before it; loaded
  // only here, so that the fingerprint helpers stay light for the desktop app.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const crypto = webcrypto as unknown as Crypto;
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const now = Date.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + AUTO_CERT_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=Tickline ${hostname().replace(/[,+="\\<>;#]/g, '-') || 'server'}`,
      // A day back: clocks of the people connecting may be a little behind.
      notBefore: new Date(now - 86_400_000),
      notAfter,
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...names.dns.map((value) => ({ type: 'dns' as const, value })),
          ...names.ips.map((value) => ({ type: 'ip' as const, value })),
        ]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key };
}

/** Writes `text` to `file` readable by the owner only (0600), atomically. */
function writePrivate(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

/**
 * The automatic certificate of `dataDir`: the one made on an earlier start
 * (its files set to 0600 again), or a new one (written 0600, the key first)
 * for {@link certificateNames}.
 */
export async function loadOrCreateCertificate(
  dataDir: string,
  extraNames: string[] = [],
): Promise<TlsPair & { created: boolean }> {
  const certFile = path.join(dataDir, TLS_FILES.cert);
  const keyFile = path.join(dataDir, TLS_FILES.key);
  if (existsSync(certFile)) {
    if (!existsSync(keyFile)) {
      throw new TlsError(
        `${certFile} has no key beside it (${TLS_FILES.key}); restore it, or delete the certificate to make a new one (its fingerprint changes)`,
      );
    }
    // Made private again: a copy or an older version may have left them readable.
    privateIfPresent(keyFile);
    privateIfPresent(certFile);
    return { ...readPair(certFile, keyFile), created: false };
  }
  // No certificate (a key alone is what a start stopped halfway leaves): make both.
  const pair = await createSelfSigned(certificateNames(extraNames));
  writePrivate(keyFile, pair.key);
  writePrivate(certFile, pair.cert);
  return { ...pair, created: true };
}
