// Starts pool Workers while the app's module is still downloading, so their threads are
// up soon after the first render: a Worker only starts its thread when the page's main
// thread is free to let it, and the first render keeps that thread busy for a few hundred
// milliseconds. Each one imports the app's JS glue at once and waits; the runtime takes
// these before making new ones (src/runtime/spawn_worker.js). Two for the supervisor
// pool, plus one per core for the first scenario pool.
const href = (part) => document.querySelector(`link[rel=modulepreload][href*="${part}"]`)?.href;
const script = href('/runtime/spawn_worker.js');
const glue = href('/app-');
if (self.crossOriginIsolated && script && glue) {
  const n = 2 + Math.min(Math.max(navigator.hardwareConcurrency || 2, 2), 16);
  globalThis.__cpWarmWorkers = Array.from({ length: n }, () => {
    const worker = new Worker(script, { type: 'module' });
    worker.postMessage({ type: 'cp_pool_thread_warm', mainJs: glue });
    return worker;
  });
}
