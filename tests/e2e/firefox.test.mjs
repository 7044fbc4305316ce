// Firefox (Debian's firefox-esr, driven over WebDriver BiDi by puppeteer-core, because
// Playwright only drives its own patched Firefox builds). The rest of this folder runs on
// Chromium; this file checks that the things a learner on Firefox depends on hold there
// too: the page is cross-origin isolated, every example runs to its end with its defaults
// on real Workers sharing memory (the file-I/O lesson through Firefox's OPFS), nothing is
// logged as an error, and no example page is wider than the window. And the two ways a
// course hosts it: with static/_headers (CSP included), and on a host that sends no
// headers, where coi=1's service worker isolates the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { serve, shots, recordErrors, exampleIds, runWithDefaults, ISOLATION_HEADERS } from './lib.mjs';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

let browser, server, page, errors;
before(async () => {
  server = await serve({ headers: ISOLATION_HEADERS });
  browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  errors = recordErrors(page);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('Firefox: the page is cross-origin isolated and lists every example', async () => {
  await page.goto(`${server.url}/`);
  await page.waitForSelector('[data-testid=scenario-card]');
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  assert.equal((await page.$$('[data-testid=scenario-card]')).length, 18);
  assert.deepEqual(errors, []);
});

test('Firefox: every example runs with its defaults, and no page is wider than the window', async () => {
  await page.goto(`${server.url}/`);
  const failures = [];
  for (const id of await exampleIds(page)) {
    errors.length = 0;
    const { finished, problem } = await runWithDefaults(page, server.url, id);
    if (problem) failures.push(problem);
    if (!finished) continue;
    const lines = await page.$$eval('[data-testid=console-line]', (ls) => ls.length);
    if (lines < 2) failures.push(`${id}: ${lines} console lines`);
    const wide = await page.evaluate(() => document.scrollingElement.scrollWidth - document.documentElement.clientWidth);
    if (wide > 0) failures.push(`${id}: the page is ${wide} px wider than the window`);
    if (errors.length) failures.push(`${id}: ${errors.join(' | ')}`);
    if (id === 'gil') {
      fs.mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'firefox-gil.png'), fullPage: true });
    }
  }
  assert.deepEqual(failures, []);
});

/** A fresh browser context (no service worker or storage carried over) on `url`. */
async function fresh(url) {
  const context = await browser.createBrowserContext();
  const p = await context.newPage();
  const errs = recordErrors(p);
  await p.goto(url);
  return { p, errs, context };
}

test('Firefox: served with static/_headers (CSP included) an example runs live', async () => {
  const hosted = await serve({ host: true });
  try {
    const { p, errs, context } = await fresh(`${hosted.url}/#/examples/lock?run=1`);
    await p.waitForSelector('[data-run-state=done]', { timeout: 60000 });
    assert.equal(await p.evaluate(() => self.crossOriginIsolated), true);
    assert.ok((await p.$$('[data-testid=console-line]')).length >= 3);
    assert.deepEqual(errs, []);
    await context.close();
  } finally {
    await hosted.close();
  }
});

test('Firefox: with coi=1 the service worker isolates a page served without headers', async () => {
  const plain = await serve();
  try {
    const { p, errs, context } = await fresh(`${plain.url}/?coi=1#/environment`);
    // coi.js registers the worker and reloads once; the reload destroys the context.
    let isolated = false;
    for (let i = 0; i < 100 && !isolated; i++) {
      isolated = await p.evaluate(() => self.crossOriginIsolated).catch(() => false);
      if (!isolated) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(isolated, 'the page became cross-origin isolated');
    await p.goto(`${plain.url}/?coi=1#/examples/lock?run=1`);
    await p.waitForSelector('[data-run-state=done]', { timeout: 60000 });
    assert.deepEqual(errs, []);
    await context.close();
  } finally {
    await plain.close();
  }
});
