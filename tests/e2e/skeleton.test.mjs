// The skeleton's promises, against the release build: isolated pages start real Web
// Workers whose output interleaves live; pools rebuild at any size without leaking
// Workers; pages without isolation say why instead of breaking.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, openPage, screenshot, ISOLATION_HEADERS } from './lib.mjs';

let browser, isolated, plain;
before(async () => {
  browser = await launch();
  isolated = await serve({ headers: ISOLATION_HEADERS });
  plain = await serve();
});
after(async () => {
  await browser?.close();
  await isolated?.close();
  await plain?.close();
});

const SUPERVISOR = 2; // the supervisor pool: each run's main program and watchdog

async function poolReady(page) {
  await page.waitForFunction(
    () => document.querySelector('[data-testid=pool-state]')?.textContent.includes('threads'),
    null, { timeout: 20000 });
}

async function waitForWorkers(page, n) {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (page.workers().length === n) return n;
    await page.waitForTimeout(100);
  }
  return page.workers().length;
}

test('isolated page: workers start, print interleaved lines live, no console errors', async () => {
  const { page, errors, context } = await openPage(browser, `${isolated.url}/#/environment`);
  await poolReady(page);
  assert.equal(await page.textContent('[data-testid=isolated]'), 'yes');
  const size = Number(await page.inputValue('[data-testid=pool-size]'));
  assert.ok(size >= 2, `default pool size ${size}`);
  assert.equal(await waitForWorkers(page, size + SUPERVISOR), size + SUPERVISOR);

  await page.click('[data-testid=run]');
  // Live: lines are on screen while the run is still going.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=console] .line').length >= 3);
  const midRun = await page.getAttribute('[data-run-state]', 'data-run-state');
  assert.equal(midRun, 'running', 'lines appear while the workers still run');
  await page.waitForSelector('[data-run-state=done]', { timeout: 20000 });
  const tags = await page.$$eval('[data-testid=console] .line', (ls) => ls.map((l) => l.dataset.worker));
  assert.equal(tags.length, size * 8);
  const writers = new Set(tags);
  assert.ok(writers.size >= 2, `lines from ${writers.size} workers`);
  // Interleaved: some worker's line is followed by another worker's before it finished.
  const switches = tags.filter((t, i) => i > 0 && t !== tags[i - 1]).length;
  assert.ok(switches >= writers.size, `output interleaves (${switches} switches between workers)`);
  await screenshot(page, 'skeleton-isolated');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the pool rebuilds at other sizes and the old Workers close', async () => {
  const { page, errors, context } = await openPage(browser, `${isolated.url}/#/environment`);
  await poolReady(page);
  for (const size of [5, 1, 16]) {
    await page.fill('[data-testid=pool-size]', String(size));
    await page.click('[data-testid=pool-apply]');
    await page.waitForFunction((n) => document.querySelector('[data-testid=pool-state]').textContent === `${n} threads`, size);
    const count = await waitForWorkers(page, size + SUPERVISOR);
    assert.equal(count, size + SUPERVISOR, `after resizing to ${size}: ${count} workers`);
  }
  // The biggest pool still runs: 16 workers on however many cores this machine has.
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-run-state=done]', { timeout: 30000 });
  const writers = new Set(await page.$$eval('[data-testid=console] .line', (ls) => ls.map((l) => l.dataset.worker)));
  assert.equal(writers.size, 16);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a page without isolation headers explains why live workers are unavailable', async () => {
  const { page, errors, context } = await openPage(browser, `${plain.url}/#/environment`);
  await page.waitForSelector('[data-testid=no-workers]', { timeout: 20000 });
  const text = await page.textContent('[data-testid=no-workers]');
  assert.match(text, /cross-origin isolated/);
  assert.match(text, /Cross-Origin-Opener-Policy: same-origin/);
  assert.equal(await page.textContent('[data-testid=isolated]'), 'no');
  assert.equal(page.workers().length, 0);
  await screenshot(page, 'skeleton-unisolated');
  assert.deepEqual(errors, []);
  await context.close();
});

test('inside a plain iframe the page loads, explains, and offers a new tab', async () => {
  // A course page on another origin that sends no isolation headers.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-'));
  fs.writeFileSync(path.join(dir, 'index.html'),
    `<!doctype html><title>course</title><link rel="icon" href="data:,"><iframe src="${plain.url}/#/environment" width="900" height="700"></iframe>`);
  const host = await serve({ dir });
  const { page, errors, context } = await openPage(browser, `${host.url}/`);
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  await frame.waitForSelector('[data-testid=no-workers]', { timeout: 20000 });
  assert.ok(await frame.$('[data-testid=no-workers] a[target=_blank]'), 'an "open in a new tab" link');
  await screenshot(page, 'skeleton-iframe');
  assert.deepEqual(errors, []);
  await context.close();
  await host.close();
});
