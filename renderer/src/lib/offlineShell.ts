/**
 * Registers the service worker that keeps the web client's app shell, so the
 * page opens while the server is down. Only where browsers allow service
 * workers (https, localhost) and never in the desktop app or dev server.
 */
export function registerOfflineShell(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator) || !window.isSecureContext) return;
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return;
  navigator.serviceWorker.register('./sw.js').catch(() => undefined);
}
