// Soak: many consecutive runs in ONE page, across every example, cancelling every fifth
// mid-run; then the page must still answer a click within 1 s, no pool Worker may have
// leaked, and JS heap + wasm memory growth after the warm-up is printed (the bar
// is < 20 MB). Not part of CI (it takes long):
//   node tests/e2e/soak.mjs            # 500 runs
//   SOAK_RUNS=100 node tests/e2e/soak.mjs
// Exits non-zero if a run hangs, the page stops answering, or Workers leak.
import { serve, launch, openPage, exampleIds, ISOLATION_HEADERS } from './lib.mjs';

const RUNS = Number(process.env.SOAK_RUNS || 500);
// Small but complete configs, so 500 runs take minutes, not hours.
const SMALL = {
  'start-join': 'latency-ms=5', 'worker-class': 'items=3&latency-ms=2', gil: 'work=5&repeat=1&latency-ms=20',
  lock: 'items=2000', event: 'set-after-ms=50&timeout-ms=20', condition: 'items=4&latency-ms=5',
  semaphore: 'latency-ms=5', 'queue-sentinel': 'items=5&latency-ms=2', 'bounded-buffer': 'items=10&produce-ms=1&consume-ms=2',
  'site-checker': 'items=6&latency-ms=10', pool: 'items=8&latency-ms=10', executor: 'payload-kb=16',
  'shared-state': 'items=200', 'parallel-map': 'items=20&work=50', 'do-work': 'pool=8&file-items=20&file-kb=64&square-items=200',
  'timing-calls': '', 'worker-logging': '', deadlock: 'hold-ms=10',
};
const ENDED = '[data-run-state=done],[data-run-state=failed],[data-run-state=cancelled]';

const browser = await launch();
const server = await serve({ headers: ISOLATION_HEADERS });
const { page, errors, context } = await openPage(browser, `${server.url}/`);
const cdp = await context.newCDPSession(page);
await cdp.send('Performance.enable');
await page.waitForSelector('[data-testid=scenario-card]');
const ids = await exampleIds(page);

const bindings = () => page.evaluate(async () => {
  let m = window.wasmBindings;
  if (!m?.cpDebugStats) {
    const src = [...document.scripts].map((s) => s.textContent.match(/from\s+['"]([^'"]+\.js)['"]/)).find(Boolean)?.[1];
    m = await import(src);
  }
  const s = m.cpDebugStats();
  return { openWorkers: s.openWorkers, supervisor: s.supervisorThreads, wasmBytes: s.wasmBytes };
});
async function memory() {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
  const { wasmBytes } = await bindings();
  return { heap, wasmBytes };
}
const mb = (b) => (b / 1e6).toFixed(1);

const counts = { done: 0, failed: 0, cancelled: 0 };
const t0 = Date.now();
let base = null;
const only = process.env.SOAK_ONLY; // one example, to chase a problem
for (let i = 0; i < RUNS; i++) {
  const id = only || ids[i % ids.length];
  await page.goto(`${server.url}/#/examples/${id}?${SMALL[id] ?? ''}`);
  await page.waitForSelector('[data-testid=run]:not([disabled])', { timeout: 30000 });
  await page.click('[data-testid=run]');
  if (i % 5 === 4) {
    await page.waitForTimeout(30 + (i % 7) * 20);
    // Only if still running: a run may already have ended.
    await page.$eval('[data-testid=cancel]', (b) => { if (!b.disabled) b.click(); });
  }
  try {
    await page.waitForSelector(ENDED, { timeout: 120000 });
  } catch {
    const stuck = await page.getAttribute('[data-run-state]', 'data-run-state');
    const err = await page.textContent('[data-testid=run-error]').catch(() => '');
    console.error(`run ${i} (${id}) did not end within 120 s: state ${stuck} ${err}`);
    process.exit(1);
  }
  const state = await page.getAttribute('[data-run-state]', 'data-run-state');
  counts[state] = (counts[state] || 0) + 1;
  if (process.env.SOAK_VERBOSE) console.log(i, id, state, `${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (i + 1 === ids.length) base = await memory();
  if ((i + 1) % 50 === 0) console.log(`${i + 1} runs, ${((Date.now() - t0) / 1000).toFixed(0)} s`, counts);
}
const end = await memory();

// Responsive: a click on Run is answered (state "running") within 1 s.
await page.goto(`${server.url}/#/examples/start-join?latency-ms=200`);
await page.waitForSelector('[data-testid=run]:not([disabled])');
const clickMs = await page.evaluate(() => new Promise((resolve) => {
  const root = document.querySelector('[data-run-state]');
  const t = performance.now();
  const obs = new MutationObserver(() => { obs.disconnect(); resolve(performance.now() - t); });
  obs.observe(root, { attributes: true, attributeFilter: ['data-run-state'] });
  setTimeout(() => resolve(Infinity), 5000);
  document.querySelector('[data-testid=run]').click();
}));
await page.waitForSelector(ENDED, { timeout: 60000 });

// Workers: the page's dedicated Workers against the pools' own count.
await page.waitForTimeout(1000);
const stats = await bindings();
const workers = page.workers().length;
// Workers the page started early (www/warm.js) and no pool has taken yet also count.
const warm = await page.evaluate(() => (globalThis.__cpWarmWorkers || []).length);
const expected = stats.openWorkers + stats.supervisor + warm;

console.log(`runs: ${RUNS} in ${((Date.now() - t0) / 1000).toFixed(0)} s`, counts);
console.log(`click answered in ${clickMs.toFixed(0)} ms`);
console.log(`Web Workers: ${workers} in the page; expected ${expected} (${stats.supervisor} supervisor + ${stats.openWorkers} pool + ${warm} started early, unused)`);
if (base) {
  console.log(`JS heap: ${mb(base.heap)} -> ${mb(end.heap)} MB; wasm memory: ${mb(base.wasmBytes)} -> ${mb(end.wasmBytes)} MB`);
  console.log(`growth after warm-up: ${mb(end.heap + end.wasmBytes - base.heap - base.wasmBytes)} MB (bar: < 20 MB)`);
}
if (errors.length) console.log(`page errors: ${errors.length}, first: ${errors[0]}`);
await context.close();
await browser.close();
await server.close();
const ok = clickMs < 1000 && workers <= expected;
process.exit(ok ? 0 : 1);
