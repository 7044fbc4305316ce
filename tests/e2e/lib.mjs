// Shared by the browser tests: a static server for dist/ (with or without the isolation
// headers), Debian's Chromium driven by playwright-core, and a collector of page errors.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const dist = process.env.DIST_DIR || path.join(root, 'dist');
export const shots = path.join(root, 'target', 'screenshots');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

const HEADERS_FILE = path.join(root, 'static', '_headers');

/**
 * The rules of static/_headers in file order: a path pattern (`*` matches anything) and
 * the headers it adds.
 */
function headerRules(file = HEADERS_FILE) {
  const rules = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const glob = line.trim().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
      rules.push({ pattern: new RegExp(`^${glob}$`), headers: {} });
      continue;
    }
    const colon = line.indexOf(':');
    if (rules.length && colon > 0) rules.at(-1).headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return rules;
}

/** What hosts that read the file (Netlify, Cloudflare Pages) send for `urlPath`: the headers of every rule it matches. */
function headersFor(rules, urlPath) {
  return Object.assign({}, ...rules.filter((r) => r.pattern.test(urlPath)).map((r) => r.headers));
}

// What Netlify and Cloudflare Pages send for a file no rule gives a Cache-Control: the
// browser may keep it but asks again each time it is used (answered 304 while unchanged).
const HOST_DEFAULT_CACHE = 'public, max-age=0, must-revalidate';

/**
 * Serve `dir` on 127.0.0.1 at a free port. `headers` go on every response, with
 * `Cache-Control: no-store` so a test never sees an older build. With `host: true` it
 * serves like a static host reading static/_headers instead: each path gets the headers
 * of the rules it matches, files no rule caches revalidate (ETag, 304), and `requests`
 * counts the requests per path.
 */
export async function serve({ dir = dist, headers = {}, host = false } = {}) {
  const rules = host ? headerRules() : [];
  const requests = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.set(url.pathname, (requests.get(url.pathname) || 0) + 1);
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.stat(file, (statErr, stat) => {
      if (statErr) { res.writeHead(404, headers).end('not found'); return; }
      const type = { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream' };
      let own = { ...type, 'Cache-Control': 'no-store', ...headers };
      if (host) {
        const etag = `"${stat.size.toString(16)}-${Math.round(stat.mtimeMs).toString(16)}"`;
        own = { ...type, 'Cache-Control': HOST_DEFAULT_CACHE, ETag: etag, ...headers, ...headersFor(rules, url.pathname) };
        if (req.headers['if-none-match'] === etag) { res.writeHead(304, own).end(); return; }
      }
      fs.readFile(file, (err, body) => {
        if (err) { res.writeHead(404, headers).end('not found'); return; }
        res.writeHead(200, own);
        res.end(body);
      });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// The helpers below use only what Playwright's and puppeteer-core's pages both offer
// (`on`, `goto`, `waitForSelector`, `$eval`, `$$eval`), so the Chromium tests and the
// Firefox ones (firefox.test.mjs) share them.

/** Collect the page's console errors and uncaught exceptions into the returned array. */
export function recordErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(browser, url, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = recordErrors(page);
  await page.goto(url);
  return { page, errors, context };
}

/** The example ids the catalogue on screen links to, in its order. */
export async function exampleIds(page) {
  await page.waitForSelector('[data-testid=scenario-card]');
  return page.$$eval('[data-testid=scenario-card] a', (as) => as.map((a) => a.getAttribute('href').split('/').pop()));
}

// The deadlock lesson's default is the mistake: it ends failed, with the cycle named.
const DIAGNOSED = new Set(['deadlock']);

/**
 * Open example `id` with its defaults and `?run=1`, and wait for the run to end.
 * `problem` says what went wrong (it did not finish, or ended other than it should).
 */
export async function runWithDefaults(page, baseUrl, id) {
  await page.goto(`${baseUrl}/#/examples/${id}?run=1`);
  try {
    await page.waitForSelector('[data-run-state=done],[data-run-state=failed]', { timeout: 60000 });
  } catch {
    return { finished: false, problem: `${id}: did not finish within 60 s` };
  }
  const state = await page.$eval('[data-run-state]', (e) => e.dataset.runState);
  const error = await page.$eval('[data-testid=run-error]', (e) => e.textContent).catch(() => '');
  let problem = null;
  if (DIAGNOSED.has(id)) {
    if (state !== 'failed' || !/deadlock/.test(error)) problem = `${id}: expected a diagnosed deadlock, got ${state} ${error}`;
  } else if (state !== 'done') {
    problem = `${id}: ended ${state}: ${error}`;
  }
  return { finished: true, problem };
}

export async function screenshot(page, name) {
  fs.mkdirSync(shots, { recursive: true });
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * One browser and one server with the isolation headers for a whole test file, closed
 * after it: `const suite = isolatedSuite();` then `suite.browser`, `suite.server.url`.
 */
export function isolatedSuite() {
  const suite = {};
  before(async () => {
    suite.browser = await launch();
    suite.server = await serve({ headers: ISOLATION_HEADERS });
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}

/** Start recording main-thread long tasks (over 50 ms) in `window.__longTasks`. */
export async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
}

/**
 * Run the environment page's flood check (`page` already on `#/environment`) at `rate`
 * lines/s for `secs` s; `during(page)` runs while it floods. Returns the page's report
 * plus the long tasks seen. Shared by the flood test and the benchmark (P6).
 *
 * A page's first flood starts while V8 is still compiling the page's optimised code: on
 * a 2-core machine that compilation takes both cores for about half a second, and the
 * first frames of the run wait for a core (a trace shows 60-80 ms tasks there with
 * 20-25 ms of their own CPU). That is the browser warming up once per page load, not
 * the page falling behind a flood, so by default a one-second flood at the same rate
 * runs first; its long tasks are returned as `cold_*` and printed beside the
 * measured run's, never hidden.
 */
export async function runFloodCheck(page, rate, secs, during = async () => {}, { warmup = true } = {}) {
  await page.waitForFunction(() => document.querySelector('[data-testid=pool-state]')?.textContent.includes('threads'), null, { timeout: 30000 });
  const flood = async (r, s, whileRunning) => {
    await watchLongTasks(page);
    await page.fill('[data-testid=flood-rate]', String(r));
    await page.fill('[data-testid=flood-secs]', String(s));
    await page.click('[data-testid=flood-run]');
    await page.waitForSelector('[data-flood-state=running]');
    await whileRunning(page);
    await page.waitForSelector('[data-flood-state=done]', { timeout: (s + 120) * 1000 });
    return page.evaluate(() => window.__longTasks);
  };
  const cold = warmup ? await flood(rate, 1, async () => {}) : [];
  const longTasks = await flood(rate, secs, during);
  const r = await page.$eval('[data-testid=flood-report]', (el) => ({ ...el.dataset }));
  return {
    expected: Number(r.expected), lines: Number(r.lines), dropped: Number(r.dropped),
    worst_frame_gap_ms: Number(r.worstGapMs), lat_p95_ms: Number(r.p95Ms),
    longest_task_ms: Math.max(0, ...longTasks), long_tasks: longTasks.length,
    cold_longest_task_ms: Math.max(0, ...cold), cold_long_tasks: cold.length,
  };
}
