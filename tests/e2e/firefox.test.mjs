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
import { serve, shots, hostHeaders, ISOLATION_HEADERS } from './lib.mjs';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
// The deadlock lesson's default is the mistake: it ends failed, with the cycle named.
const DIAGNOSED = new Set(['deadlock']);

let browser, server, page;
const errors = [];
before(async () => {
  server = await serve({ headers: ISOLATION_HEADERS });
  browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
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
  await page.waitForSelector('[data-testid=scenario-card]');
  const ids = await page.$$eval('[data-testid=scenario-card] a', (as) => as.map((a) => a.getAttribute('href').split('/').pop()));
  const failures = [];
  for (const id of ids) {
    errors.length = 0;
    await page.goto(`${server.url}/#/examples/${id}?run=1`);
    try {
      await page.waitForSelector('[data-run-state=done],[data-run-state=failed]', { timeout: 60000 });
    } catch {
      failures.push(`${id}: did not finish within 60 s`);
      continue;
    }
    const state = await page.$eval('[data-run-state]', (e) => e.dataset.runState);
    const error = await page.$eval('[data-testid=run-error]', (e) => e.textContent).catch(() => '');
    if (DIAGNOSED.has(id) ? state !== 'failed' || !/deadlock/.test(error) : state !== 'done') {
      failures.push(`${id}: ended ${state}: ${error}`);
    }
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
  const errs = [];
  p.on('console', (m) => { if (m.type() === 'error') errs.push(`console: ${m.text()}`); });
  p.on('pageerror', (e) => errs.push(`uncaught: ${e.message}`));
  await p.goto(url);
  return { p, errs, context };
}

test('Firefox: served with static/_headers (CSP included) an example runs live', async () => {
  const hosted = await serve({ headers: hostHeaders() });
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
