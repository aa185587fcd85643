// Tickline web client: keeps the app shell (index.html and its assets) so
// the page opens even while the server is unreachable — history and unsent
// messages live in IndexedDB and go out when the server is back. Network
// first: a reachable server always serves the current build. The API and
// Socket.IO are never touched.
const CACHE = 'tickline-shell-v1';
const ROOT = new URL('./', self.registration.scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const response = await fetch(ROOT, { cache: 'no-store' });
      if (response.ok) {
        const html = await response.clone().text();
        await cache.put(ROOT, response);
        const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map(
          (m) => new URL(m[1], ROOT).href,
        );
        await cache.addAll(assets);
        // The chunks loaded later (settings, dialogs, the second locale), listed by the build.
        try {
          const listed = await fetch(new URL('shell.json', ROOT), { cache: 'no-store' });
          if (listed.ok) {
            const files = await listed.json();
            await cache.addAll(files.map((file) => new URL(file, ROOT).href));
          }
        } catch {
          // Not fatal: they are kept as they are first fetched.
        }
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

function bypass(url) {
  return (
    url.origin !== self.location.origin ||
    url.pathname.startsWith('/api/') ||
    url.pathname.startsWith('/socket.io') ||
    url.pathname === '/healthz'
  );
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (bypass(url)) return;
  const key = request.mode === 'navigate' ? ROOT : request.url;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(request);
        if (response.ok) await cache.put(key, response.clone());
        return response;
      } catch (error) {
        const cached = await cache.match(key, { ignoreSearch: true });
        if (cached) return cached;
        throw error;
      }
    })(),
  );
});
