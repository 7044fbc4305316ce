// A service worker for static hosts that cannot set response headers (GitHub Pages and
// similar). Live workers need a cross-origin isolated page, which takes the COOP and COEP
// headers; this worker re-serves every same-origin response with them added, so the page
// becomes isolated after one reload. www/coi.js registers it, only when asked to.
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function withIsolation(request) {
  const response = await fetch(request);
  // Opaque and error responses cannot be rewritten; pass them through unchanged.
  if (response.status === 0 || response.type === 'opaque') return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  // A cache mode the network layer refuses outside same-origin requests; leave it alone.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(withIsolation(request));
});
