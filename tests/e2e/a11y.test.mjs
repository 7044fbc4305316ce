// Accessibility (issue 6): axe-core finds no serious or critical violation on the
// catalogue and on an example after a run (light and dark); every example is usable
// from 375 to 1280 px wide with nothing overflowing sideways; Run and the knobs are reachable with Tab
// and Enter on Run starts a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { isolatedSuite, screenshot, root, recordErrors, exampleIds } from './lib.mjs';

const AXE = path.join(root, 'node_modules', 'axe-core', 'axe.min.js');

const suite = isolatedSuite();

async function open(url, options = {}) {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors = recordErrors(page);
  await page.goto(url);
  return { page, errors, context };
}

/** Serious and critical axe violations, one line each with the first offending nodes. */
async function axeProblems(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.join(' | ')}`);
}

async function finishedRun(page, id = 'lock') {
  await page.goto(`${suite.server.url}/#/examples/${id}?run=1`);
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
}

for (const colorScheme of ['light', 'dark']) {
  test(`axe: no serious or critical violations (${colorScheme})`, async () => {
    const { page, errors, context } = await open(`${suite.server.url}/`, { colorScheme });
    await page.waitForSelector('[data-testid=catalogue], .catalogue, main', { timeout: 20000 });
    await page.waitForTimeout(300);
    assert.deepEqual(await axeProblems(page), [], 'catalogue');
    // lock has the console's worker colours and the code; queue-sentinel a queue's state.
    for (const id of ['queue-sentinel', 'lock']) {
      await finishedRun(page, id);
      assert.deepEqual(await axeProblems(page), [], `${id} after a run`);
    }
    await screenshot(page, `example-${colorScheme}`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

/** Elements that reach past the right edge and widen the page (not inside a scroller). */
async function overflowing(page, width) {
  return page.evaluate((width) => [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && getComputedStyle(el).position !== 'fixed')
    .filter((el) => {
      // Content inside a box that scrolls (or clips) sideways does not widen the page.
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return false;
      }
      return true;
    })
    .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className}`), width);
}

// Every example after a run, with its code loaded, at a phone's width and a small
// laptop's, and the widest examples at a tablet's and a desktop's. Regression: the
// "where each worker's time went" table widened every example page at 1024 px (and the
// gil and do-work pages at 1280), and the old check, at 375 px only, measured before the
// code view had loaded.
const WIDE = ['gil', 'executor', 'timing-calls', 'do-work'];
for (const width of [375, 768, 1024, 1280]) {
  test(`examples at ${width} px wide: nothing overflows sideways`, async () => {
    const { page, errors, context } = await open(`${suite.server.url}/`, { viewport: { width, height: 900 } });
    const all = await exampleIds(page);
    const ids = width === 375 || width === 1024 ? all : WIDE;
    const problems = [];
    for (const id of ids) {
      await page.goto(`${suite.server.url}/#/examples/${id}?run=1`);
      await page.waitForSelector('[data-run-state=done],[data-run-state=failed]', { timeout: 60000 });
      await page.waitForSelector('pre.code', { timeout: 20000 });
      const scroll = await page.evaluate(() => document.scrollingElement.scrollWidth);
      const wide = await overflowing(page, width);
      if (scroll > width || wide.length) problems.push(`${id}: page ${scroll} px wide; ${wide.join(', ')}`);
      if (width === 375 && id === 'lock') await screenshot(page, 'example-375');
      if (width >= 1024 && id === 'gil') await screenshot(page, `example-${width}`);
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('keyboard: Tab reaches the knobs and Run, and Enter on Run starts a run', async () => {
  const { page, errors, context } = await open(`${suite.server.url}/#/examples/lock`);
  await page.waitForSelector('[data-testid=run]:not([disabled])', { timeout: 20000 });
  const reached = new Set();
  const done = () => reached.has('run') && [...reached].some((w) => w.startsWith('knob:'));
  for (let i = 0; i < 80 && !done(); i++) {
    await page.keyboard.press('Tab');
    const what = await page.evaluate(() => {
      const el = document.activeElement;
      return el?.dataset.testid === 'run' ? 'run' : el?.dataset.knob ? `knob:${el.dataset.knob}` : '';
    });
    if (what) reached.add(what);
  }
  assert.ok(reached.has('run'), `Tab reached Run (${[...reached]})`);
  assert.ok([...reached].some((w) => w.startsWith('knob:')), `Tab reached a knob (${[...reached]})`);
  await page.focus('[data-testid=run]');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'run');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  assert.deepEqual(errors, []);
  await context.close();
});
