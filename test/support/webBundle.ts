import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The web build (`npm run build:web`). */
export const WEB_ROOT = fileURLToPath(new URL('../../out/web', import.meta.url));

/** One built file: its path under the build and its size, raw and gzipped. */
export interface BuiltFile {
  file: string;
  bytes: number;
  gzip: number;
}

/** Gzipped size of `data` (level 9, as a server compressing static files would). */
export function gzipSize(data: Buffer | string): number {
  return gzipSync(data, { level: 9 }).length;
}

/** The size of `file` (relative to `root`). */
export function builtFile(file: string, root = WEB_ROOT): BuiltFile {
  const data = readFileSync(path.join(root, file));
  return { file, bytes: data.length, gzip: gzipSize(data) };
}

/** The scripts index.html loads at once: its module script and modulepreload links. */
export function htmlScripts(html: string): string[] {
  const found: string[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/g) ?? []) {
    const isModule = /^<script/.test(tag) && /type="module"/.test(tag);
    const isPreload = /^<link/.test(tag) && /rel="modulepreload"/.test(tag);
    const ref = /(?:src|href)="([^"]+)"/.exec(tag)?.[1];
    if ((isModule || isPreload) && ref) found.push(ref);
  }
  return found;
}

/**
 * The relative modules `code` imports statically (`import … from "./x.js"`,
 * `import "./x.js"`, `export … from "./x.js"`); dynamic `import()` is not one.
 */
export function staticImports(code: string): string[] {
  const pattern =
    /\b(?:import|export)\s*(?:[\w$*{}\s,]*?\s*from\s*)?["'`](\.{1,2}\/[^"'`]+\.js)["'`]/g;
  return [...code.matchAll(pattern)].map((m) => m[1]!);
}

/**
 * The JavaScript the first view runs before anything is loaded on demand:
 * index.html's scripts and, transitively, what they import statically.
 * Throws when the build is missing.
 */
export function firstViewScripts(root = WEB_ROOT): BuiltFile[] {
  const index = path.join(root, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`${index} is missing: build the web client first (npm run build:web)`);
  }
  const seen = new Set<string>();
  const queue = htmlScripts(readFileSync(index, 'utf8')).map((ref) => path.posix.normalize(ref));
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(path.join(root, file), 'utf8');
    for (const ref of staticImports(code)) {
      queue.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), ref)));
    }
  }
  return [...seen].map((file) => builtFile(file, root));
}
