import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_INDEX_URL,
  CONTENT_SECURITY_POLICY,
  contentTypeFor,
  isAppUrl,
  isSafeExternalUrl,
  resolveAppPath,
  responseHeaders,
} from '../../../desktop/appProtocol';
import { DESKTOP_APP_ORIGIN } from '../../../protocol/limits';

const root = path.resolve('/opt/tickline/out/renderer');

describe('app:// protocol', () => {
  it('serves files under the renderer folder', () => {
    expect(resolveAppPath(root, 'app://tickline/')).toEqual({
      ok: true,
      filePath: path.join(root, 'index.html'),
    });
    expect(resolveAppPath(root, APP_INDEX_URL)).toEqual({
      ok: true,
      filePath: path.join(root, 'index.html'),
    });
    expect(resolveAppPath(root, 'app://tickline/assets/index-abc.js?v=1#x')).toEqual({
      ok: true,
      filePath: path.join(root, 'assets', 'index-abc.js'),
    });
    expect(resolveAppPath(root, 'app://tickline/assets/a%20b.css')).toEqual({
      ok: true,
      filePath: path.join(root, 'assets', 'a b.css'),
    });
    expect(resolveAppPath(root, 'app://tickline/index.html', 'HEAD').ok).toBe(true);
  });

  it.each([
    'app://tickline/../../etc/passwd',
    'app://tickline/assets/../../secret',
    'app://tickline/%2e%2e/%2e%2e/etc/passwd',
    'app://tickline/assets/%2e%2e/%2e%2e/x',
    'app://tickline/..%2fsecret',
    'app://tickline/..%5csecret',
    'app://tickline/a%00.js',
    'app://tickline/%E0%A4%A',
    'app://tickline/.',
  ])('never leaves the renderer folder: %s', (url) => {
    const result = resolveAppPath(root, url);
    if (result.ok) {
      // `URL` itself resolves plain dot segments; whatever is left must stay inside.
      expect(result.filePath.startsWith(root + path.sep)).toBe(true);
    } else {
      expect([400, 403, 404]).toContain(result.status);
    }
  });

  it('refuses other hosts, schemes and methods', () => {
    expect(resolveAppPath(root, 'app://other/index.html')).toEqual({ ok: false, status: 404 });
    expect(resolveAppPath(root, 'file:///etc/passwd')).toEqual({ ok: false, status: 404 });
    expect(resolveAppPath(root, 'not a url')).toEqual({ ok: false, status: 400 });
    expect(resolveAppPath(root, APP_INDEX_URL, 'POST')).toEqual({ ok: false, status: 405 });
  });

  it('sends content types and a strict CSP', () => {
    expect(contentTypeFor('a/index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('a/x.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('a/x.woff2')).toBe('font/woff2');
    expect(contentTypeFor('a/x.unknown')).toBe('application/octet-stream');
    const headers = responseHeaders('index.html');
    expect(headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(headers['x-content-type-options']).toBe('nosniff');
    const directives = Object.fromEntries(
      CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'", 'http:', 'https:', 'ws:', 'wss:']);
    expect(directives['img-src']).toEqual(["'self'", 'data:']);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval/);
  });

  it('is the origin the server allows by CORS', () => {
    // Node's URL gives custom schemes an opaque origin; Chromium (standard scheme) does not.
    const url = new URL(APP_INDEX_URL);
    expect(`${url.protocol}//${url.host}`).toBe(DESKTOP_APP_ORIGIN);
  });
});

describe('isAppUrl', () => {
  it('accepts only pages of the app', () => {
    expect(isAppUrl('app://tickline/index.html')).toBe(true);
    expect(isAppUrl('app://tickline/')).toBe(true);
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(isAppUrl('app://tickline.evil.com/')).toBe(false);
    expect(isAppUrl('http://192.168.1.2:7420/')).toBe(false);
    expect(isAppUrl('file:///opt/tickline/out/renderer/index.html')).toBe(false);
    expect(isAppUrl('about:blank')).toBe(false);
    expect(isAppUrl('')).toBe(false);
    expect(isAppUrl(null)).toBe(false);
    expect(isAppUrl(undefined)).toBe(false);
  });

  it('accepts the dev server only when given', () => {
    expect(isAppUrl('http://localhost:5173/')).toBe(false);
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
  });
});

describe('isSafeExternalUrl', () => {
  it.each([
    ['https://example.com/a?b#c', true],
    ['http://192.168.1.2:8080/', true],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['smb://share/x', false],
    ['ms-msdt:/id', false],
    ['mailto:a@b.c', true],
    ['mailto:a@b.c?attach=/etc/passwd', false],
    ['mailto:a@b.c,c@d.e', false],
    ['mailto:nobody', false],
    ['https://user:pw@example.com', false],
    ['app://tickline/', false],
    ['not a url', false],
    ['https://' + 'a'.repeat(9000) + '.com', false],
  ])('case %# (%s)', (url, safe) => {
    expect(isSafeExternalUrl(url)).toBe(safe);
  });
});
