import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from '../../../playwright.config';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Builds the web client (when stale) and checks that Chromium is installed. */
export default function globalSetup(): void {
  execFileSync(process.execPath, ['scripts/ensure-web-build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  }
}
