import { defineConfig } from '@playwright/test';

/** Debian's Chromium (Playwright may not download its own browser here). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * End-to-end tests. `web`: the web client in Debian's Chromium against real
 * servers started by the tests. `electron`: the desktop app (skips itself,
 * with the reason printed, where the Electron binary is missing).
 */
export default defineConfig({
  testMatch: '**/*.e2e.ts',
  globalSetup: './test/e2e/web/globalSetup.ts',
  outputDir: 'test-results',
  // Each scenario starts and kills its own servers; 2 cores: one at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  projects: [
    {
      name: 'web',
      testDir: 'test/e2e/web',
      use: {
        browserName: 'chromium',
        headless: true,
        locale: 'en-US',
        timezoneId: 'UTC',
        viewport: { width: 1200, height: 760 },
        trace: 'retain-on-failure',
        screenshot: 'only-on-failure',
        launchOptions: {
          executablePath: CHROMIUM,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--no-first-run',
          ],
        },
      },
    },
    {
      name: 'electron',
      testDir: 'test/e2e/electron',
    },
  ],
});
