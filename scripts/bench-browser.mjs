// Browser figures for scripts/bench.sh: serves dist/ with the isolation headers, drives
// headless Chromium, and calls the page's `window.wasmBindings.cp_bench_*` entry points
// (src/runtime/bench.rs). Writes one JSON object to the file named by argv[2].
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { serve, launch, dist, runFloodCheck, ISOLATION_HEADERS } from '../tests/e2e/lib.mjs';

const out = process.argv[2] || 'target/bench/browser.json';
const REPS = Number(process.env.BENCH_REPS || 5);
const FLOOD_RATE = Number(process.env.BENCH_FLOOD_RATE || 100000);
const FLOOD_SECS = Number(process.env.BENCH_FLOOD_SECS || 10);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const log = (...a) => console.error('[bench-browser]', ...a);

/** gzip size of everything the page loads: html, js (app and snippets), wasm, css. */
function transferSize() {
  let raw = 0, gz = 0; const files = [];
  const walk = (d) => { for (const f of fs.readdirSync(d)) { const p = path.join(d, f); if (fs.statSync(p).isDirectory()) walk(p); else if (/\.(html|js|wasm|css)$/.test(f)) files.push(p); } };
  walk(dist);
  for (const f of files) { const b = fs.readFileSync(f); raw += b.length; gz += zlib.gzipSync(b, { level: 9 }).length; }
  return { raw_kb: raw / 1024, gzip_kb: gz / 1024, files: files.length };
}

// Marks, from navigation start, when the pool is ready and when the first console line shows.
const MARKS = () => {
  window.__bench = {};
  const t = setInterval(() => {
    const b = window.wasmBindings;
    if (!window.__bench.poolReady && b && b.cp_bench_pool_state && b.cp_bench_pool_state().startsWith('ready')) window.__bench.poolReady = performance.now();
    if (!window.__bench.firstLine && document.querySelector('[data-testid=console-line]')) window.__bench.firstLine = performance.now();
    if (window.__bench.poolReady && window.__bench.firstLine) clearInterval(t);
  }, 1);
};

/**
 * Load start-join with `?run=1` in a fresh context (an empty cache) for each of `kinds`
 * in turn, REPS times, and take the medians per kind. A kind with `repeat` loads the page
 * once before the timed load, as a returning visitor would. Interleaved, so the machine's
 * load weighs on every kind alike.
 */
async function loadTimes(browser, kinds) {
  const raw = Object.fromEntries(Object.keys(kinds).map((k) => [k, { ready: [], first: [] }]));
  const done = () => window.__bench && window.__bench.poolReady && window.__bench.firstLine;
  for (let i = 0; i < REPS; i++) {
    for (const [key, { url, repeat }] of Object.entries(kinds)) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.addInitScript(MARKS);
      if (repeat) {
        await page.goto(`${url}/#/examples/start-join?run=1`);
        await page.waitForFunction(done, null, { timeout: 30000, polling: 20 });
        await page.goto('about:blank');
      }
      await page.goto(`${url}/#/examples/start-join?run=1`);
      await page.waitForFunction(done, null, { timeout: 30000, polling: 20 });
      const m = await page.evaluate(() => window.__bench);
      raw[key].ready.push(m.poolReady); raw[key].first.push(m.firstLine);
      await ctx.close();
    }
  }
  return Object.fromEntries(Object.entries(raw).map(([k, { ready, first }]) => [k,
    { pool_ready_ms: median(ready), first_line_ms: median(first), pool_ready_raw: ready, first_line_raw: first }]));
}

/** One measurement on the page: start it, then poll for its result. */
async function measure(page, kind, pool, a, b) {
  const r = await page.evaluate(async ([kind, pool, a, b]) => {
    const w = window.wasmBindings;
    w.cp_bench_start(kind, pool, a, b);
    for (;;) {
      await new Promise((res) => setTimeout(res, 5));
      const s = w.cp_bench_result();
      if (s) return JSON.parse(s);
    }
  }, [kind, pool, a, b]);
  if (r.error) throw new Error(`${kind}: ${r.error}`);
  return r.ok;
}

// P6: the environment page's flood check, drawn by the same console and timeline as the
// lessons, run exactly as the flood test runs it (tests/e2e/lib.mjs).
async function flood(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(`${url}/#/environment`);
  const r = await runFloodCheck(page, FLOOD_RATE, FLOOD_SECS);
  await page.close();
  return r;
}

const server = await serve({ headers: ISOLATION_HEADERS });
const hosted = await serve({ host: true });
const browser = await launch();
const res = { reps: REPS };
try {
  res.transfer = transferSize();
  log('transfer', res.transfer);
  // A first visit to the site served as a static host serves it with static/_headers
  // (the content-hashed files cached for good, the rest revalidated); for information, the
  // same from a server that lets nothing be cached, and a returning visitor's load.
  ({ first_visit: res.load, no_store: res.load_no_store, repeat_visit: res.load_repeat } = await loadTimes(browser, {
    first_visit: { url: hosted.url }, no_store: { url: server.url }, repeat_visit: { url: hosted.url, repeat: true },
  }));
  log('load', res.load, 'no-store', res.load_no_store, 'repeat visit', res.load_repeat);

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log('page error:', e.message));
  await page.goto(`${server.url}/#/`);
  await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.cp_bench_pool_state().startsWith('ready'), null, { timeout: 30000 });
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  res.cores = cores;

  // P1 + P2: the CPU kernel split across k workers (each k on a pool of exactly k threads).
  const ITERS = Number(process.env.BENCH_CPU_ITERS || 400e6);
  const ks = [...new Set([...Array.from({ length: cores }, (_, i) => i + 1), 4, 8, 16])].sort((a, b) => a - b);
  res.cpu = {};
  for (const k of ks) {
    await measure(page, 'cpu', k, k, ITERS / 10); // warm-up: the new pool's Workers start
    const walls = [];
    for (let i = 0; i < REPS; i++) walls.push((await measure(page, 'cpu', k, k, ITERS)).wall_ms);
    res.cpu[k] = median(walls);
    log(`cpu k=${k}: ${res.cpu[k].toFixed(1)} ms`);
  }
  res.wasm_iters_per_us = ITERS / (res.cpu[1] * 1e3);

  // P4: dispatch on 2 pool workers, process-flavoured (every argument and result
  // pickled) and thread-flavoured (shared), tracing off and on.
  for (const [kind, key] of [['dispatch', 'dispatch'], ['dispatch-thread', 'dispatch_thread']]) {
    for (const traced of [0, 1]) {
      await measure(page, kind, 2, 2000, traced);
      const xs = [];
      for (let i = 0; i < REPS; i++) xs.push((await measure(page, kind, 2, 20000, traced)).tasks_per_s);
      res[`${key}_traced_${traced}`] = median(xs);
      log(`${kind} traced=${traced}: ${median(xs).toFixed(0)}/s`);
    }
  }

  // P8: queue hand-off between two workers.
  const hs = [];
  for (let i = 0; i < REPS; i++) hs.push((await measure(page, 'handoff', 2, 5000, 0)).median_us);
  res.handoff_median_us = median(hs);
  log(`handoff: ${res.handoff_median_us} us`);

  // P6: the flood.
  res.flood = await flood(ctx, server.url);
  log('flood', res.flood);
  await ctx.close();
} catch (e) {
  res.error = String(e && e.stack || e);
  log('FAILED:', res.error);
} finally {
  await browser.close();
  await server.close();
  await hosted.close();
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(res, null, 1));
}
