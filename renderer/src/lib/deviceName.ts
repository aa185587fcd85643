const BROWSERS: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/Windows/, 'Windows'],
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/**
 * A name for this device that its owner recognises in the device list:
 * "Firefox on Linux", "Tickline desktop on Windows".
 */
export function describeDevice(userAgent: string, desktop: boolean): string {
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1];
  const app = desktop
    ? 'Tickline desktop'
    : (BROWSERS.find(([re]) => re.test(userAgent))?.[1] ?? 'Web browser');
  return system ? `${app} on ${system}` : app;
}
