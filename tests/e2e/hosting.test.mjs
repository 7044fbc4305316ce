// Static hosting (issue 6): without the isolation headers an example offers the recorded
// run the site ships and replays it; served with static/_headers (COOP, COEP, CORP and the
// CSP) the app runs live with no CSP violation; the opt-in service worker isolates a page
// on a host that sends no headers at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, openPage, screenshot, dist } from './lib.mjs';

let browser, plain, hosted;
before(async () => {
  browser = await launch();
  plain = await serve();
  hosted = await serve({ host: true });
});
after(async () => {
  await browser?.close();
  await plain?.close();
  await hosted?.close();
});

const consoleCount = async (page) =>
  Number((await page.textContent('[data-testid=console-count]')).match(/\d+/)[0]);

test('every scenario ships a recording made by the engine', () => {
  const dir = path.join(dist, 'recordings');
  const ids = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  assert.equal(ids.length, 18);
  for (const id of ids) {
    const file = path.join(dir, `${id}.json`);
    const size = fs.statSync(file).size;
    assert.ok(size < 2.5 * 1024 * 1024, `${id}: ${size} bytes`);
    const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(trace.scenario, id);
    assert.ok(trace.events.length > 3, `${id}: ${trace.events.length} events`);
    // A real run: it starts and ends (a deadlock's cleanup may follow its end).
    assert.equal(trace.events.filter((e) => e.kind.k === 'run_end').length, 1, `${id} has one run_end`);
    assert.ok(trace.events.some((e) => e.kind.k === 'print'), `${id} printed something`);
  }
});

test('without isolation headers an example replays its recorded run', async () => {
  const { page, errors, context } = await openPage(browser, `${plain.url}/#/examples/lock`);
  await page.waitForSelector('[data-testid=no-workers] [data-testid=replay-recording]', { timeout: 20000 });
  await page.click('[data-testid=replay-recording]');
  await page.waitForSelector('[data-testid=replay][data-len]:not([data-len="0"])', { timeout: 20000 });
  const len = Number(await page.getAttribute('[data-testid=replay]', 'data-len'));
  assert.equal(await page.getAttribute('[data-testid=replay]', 'data-position'), String(len));
  const lines = await consoleCount(page);
  assert.ok(lines >= 3, `${lines} console lines`);
  assert.ok((await page.textContent('body')).includes('lock'), 'the replay names its scenario');
  await screenshot(page, 'fallback-recorded-replay');
  assert.deepEqual(errors, []);
  await context.close();
});

test('served with static/_headers (CSP included) the app runs live with no violation', async () => {
  const { page, errors, context } = await openPage(browser, 'about:blank');
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const response = await page.goto(`${hosted.url}/#/examples/lock?run=1`);
  assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(response.headers()['content-security-policy'], /'unsafe-eval'/);
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
  assert.ok(await consoleCount(page) >= 3);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(errors, []);
  await context.close();
});

// Every pool Worker imports the app's JS glue. Served with no caching, each one fetched it
// again (9 requests for one page load), which cost about 150 ms before the pool was ready.
// static/_headers lets browsers keep the content-hashed files for good.
test('served with static/_headers the hashed app files are cached and every Worker takes the glue from the cache', async () => {
  const { page, errors, context } = await openPage(browser, 'about:blank');
  const cacheControl = {};
  page.on('response', (r) => { const p = new URL(r.url()).pathname; cacheControl[p] ??= r.headers()['cache-control']; });
  hosted.requests.clear();
  await page.goto(`${hosted.url}/#/examples/start-join?run=1`);
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  const seen = [...hosted.requests];
  const glue = seen.filter(([p]) => /^\/app-[0-9a-f]+\.js$/.test(p));
  assert.equal(glue.length, 1, `one glue file: ${JSON.stringify(seen)}`);
  assert.equal(glue[0][1], 1, `the glue was fetched ${glue[0][1]} times for one page and its Workers`);
  for (const p of [glue[0][0], seen.find(([q]) => q.endsWith('.wasm'))[0], seen.find(([q]) => q.endsWith('.css'))[0]]) {
    assert.match(cacheControl[p], /immutable/, `${p}: ${cacheControl[p]}`);
  }
  // Not named by content: revalidated on each use.
  assert.match(cacheControl['/boot.js'], /must-revalidate/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('with coi=1 the service worker isolates a page served without headers', async () => {
  const { page, errors, context } = await openPage(browser, `${plain.url}/?coi=1#/environment`);
  // coi.js registers the worker and reloads once; the reload destroys the context.
  let isolated = false;
  for (let i = 0; i < 100 && !isolated; i++) {
    isolated = await page.evaluate(() => window.crossOriginIsolated).catch(() => false);
    if (!isolated) await page.waitForTimeout(200);
  }
  assert.ok(isolated, 'the page became cross-origin isolated');
  await page.waitForSelector('[data-testid=isolated]', { timeout: 20000 });
  assert.equal(await page.textContent('[data-testid=isolated]'), 'yes');
  assert.deepEqual(errors, []);
  await context.close();
});

test('without coi=1 no service worker is registered', async () => {
  const { page, context } = await openPage(browser, `${plain.url}/#/environment`);
  await page.waitForSelector('[data-testid=isolated]', { timeout: 20000 });
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length), 0);
  await context.close();
});
