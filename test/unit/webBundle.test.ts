/**
 * The first-view walk of the bundle-size test and bench (test/support/webBundle.ts):
 * index.html's scripts, then static imports only, never dynamic ones.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firstViewScripts, htmlScripts, staticImports } from '../support/webBundle';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('the first view of a web build', () => {
  it('finds static imports in minified code, not dynamic ones', () => {
    const code =
      'import{a as b,c}from"./vendor-1.js";import"./side.js";import*as z from"./ns.js";' +
      'export{d}from"./re.js";const l=()=>import("./lazy.js");x.import(`./nope.js`)';
    expect(staticImports(code)).toEqual(['./vendor-1.js', './side.js', './ns.js', './re.js']);
  });

  it("takes index.html's module script and modulepreload links, not other scripts", () => {
    const html =
      '<script type="module" crossorigin src="./assets/index-1.js"></script>' +
      '<link rel="modulepreload" crossorigin href="./assets/vendor-1.js">' +
      '<link rel="stylesheet" href="./assets/index.css"><script src="./legacy.js"></script>';
    expect(htmlScripts(html)).toEqual(['./assets/index-1.js', './assets/vendor-1.js']);
  });

  it('follows static imports transitively and leaves lazy chunks out', () => {
    root = mkdtempSync(path.join(tmpdir(), 'tickline-bundle-'));
    mkdirSync(path.join(root, 'assets'));
    writeFileSync(
      path.join(root, 'index.html'),
      '<script type="module" src="./assets/index.js"></script>',
    );
    const files: Record<string, string> = {
      'index.js': 'import{v}from"./vendor.js";const s=()=>import("./settings.js");',
      'vendor.js': 'import"./shared.js";export const v=1;',
      'shared.js': 'export const s=2;',
      'settings.js': 'import{v}from"./vendor.js";',
    };
    for (const [name, code] of Object.entries(files)) {
      writeFileSync(path.join(root, 'assets', name), code);
    }
    const found = firstViewScripts(root);
    expect(found.map((f) => f.file).sort()).toEqual([
      'assets/index.js',
      'assets/shared.js',
      'assets/vendor.js',
    ]);
    expect(found.every((f) => f.bytes > 0 && f.gzip > 0)).toBe(true);
  });

  it('says to build first when the build is missing', () => {
    root = mkdtempSync(path.join(tmpdir(), 'tickline-bundle-'));
    expect(() => firstViewScripts(root)).toThrow(/npm run build:web/);
  });
});
