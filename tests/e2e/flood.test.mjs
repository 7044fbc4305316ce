// Floods, measured. The goal (issue 5, bench P6): 100k events/s for 10 s on screen, with
// nothing lost and no main-thread task over 50 ms. Lost events are asserted; long tasks
// and latency are printed, not asserted: these 2-core machines are shared, and a
// starved main thread is the machine's doing, not the page's.
// 1. The environment page's flood check, the goal's exact size, through the same console
//    and timeline widgets as the lessons.
// 2. A real example page: the lock lesson with the lock on makes three events per
//    increment (wait, acquire, release), a few hundred thousand a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { isolatedSuite, openPage, runFloodCheck, screenshot, watchLongTasks } from './lib.mjs';

const suite = isolatedSuite();

const RATE = Number(process.env.FLOOD_RATE || 100000);
const SECS = Number(process.env.FLOOD_SECS || 10);

test(`a flood of ${RATE} lines/s for ${SECS} s reaches the screen with nothing lost`, async () => {
  const { page, errors, context } = await openPage(suite.browser, `${suite.server.url}/#/environment`);
  // Responsive while it floods: a click on the console's filter is handled promptly.
  let clicked = false, clickMs = 0;
  const r = await runFloodCheck(page, RATE, SECS, async () => {
    await page.waitForTimeout(1000);
    const t = Date.now();
    clicked = await page.click('.flood [data-testid=console-filter]', { timeout: 10000 }).then(() => true, () => false);
    clickMs = Date.now() - t;
  });
  console.log(`flood check: ${r.lines} of ${r.expected} lines shown, ${r.dropped} dropped; ` +
    `longest main-thread task ${r.longest_task_ms.toFixed(0)} ms (${r.long_tasks} over 50 ms); ` +
    `worst frame gap ${r.worst_frame_gap_ms} ms; p95 line-to-screen ${r.lat_p95_ms} ms; ` +
    `click ${clicked ? `handled in ${clickMs} ms` : 'not handled within 10 s'}; load ${os.loadavg()[0].toFixed(1)}; ` +
    `the page's first (1 s) flood, while V8 compiles: ${r.cold_long_tasks} tasks over 50 ms, longest ${r.cold_longest_task_ms.toFixed(0)} ms`);
  assert.equal(r.dropped, 0, 'nothing dropped');
  assert.equal(r.lines, r.expected, 'every line reached the console');
  assert.ok(r.expected >= RATE * SECS * 0.99, `expected ${r.expected}`);
  assert.ok(await page.$('.flood [data-testid=timeline-svg]'), 'the timeline drew the flood');
  // Regression: the console followed the whole flood to its last line. (A scroll event
  // arriving after more lines were drawn once read as the learner scrolling up, and the
  // console stayed near the start with "Jump to latest" showing.)
  const lastLine = () => page.$$eval('.flood [data-testid=console-line]', (ls) => ls.at(-1)?.textContent || '');
  assert.equal(await page.$('.flood [data-testid=console-follow]'), null, 'still following at the end');
  assert.match(await lastLine(), /Run finished/);
  // Scrolling up stops following; "Jump to latest" follows again.
  await page.$eval('.flood .vconsole-viewport', (v) => { v.scrollTop = 0; });
  await page.waitForSelector('.flood [data-testid=console-follow]');
  assert.doesNotMatch(await lastLine(), /Run finished/);
  await page.click('.flood [data-testid=console-follow]');
  await page.waitForSelector('.flood [data-testid=console-follow]', { state: 'detached' });
  assert.match(await lastLine(), /Run finished/);
  await screenshot(page, 'flood-check');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a flood of lock events reaches the page with nothing lost', async () => {
  const { page, errors, context } = await openPage(suite.browser, `${suite.server.url}/#/environment`);
  await page.waitForFunction(() => document.querySelector('[data-testid=pool-state]')?.textContent.includes('threads'));
  const workers = 4, items = 100000;
  // Opening the page is not part of the flood: long tasks are watched from the Run click.
  await page.goto(`${suite.server.url}/#/examples/lock?use-lock=true&part=counter&workers=${workers}&items=${items}`);
  await page.waitForSelector('[data-run-state=idle]');
  await watchLongTasks(page);
  const t0 = Date.now();
  await page.click('[data-testid=run]');
  // Responsiveness while it floods: a click on a console line (which finds its moment on
  // the timeline) is handled promptly. (A <select> would open the browser's own popup,
  // whose parsing shows up as a long task of its own.)
  await page.waitForSelector('[data-run-state=running] [data-testid=console-line]', { timeout: 20000 });
  const clickStart = Date.now();
  const clicked = await page.click('[data-testid=console-line]', { timeout: 5000 }).then(() => true, () => false);
  const clickMs = Date.now() - clickStart;
  await page.waitForSelector('[data-run-state=done]', { timeout: 120000 });
  const wallMs = Date.now() - t0;
  const figures = await page.$$eval('[data-testid=figures] li', (ls) => ls.map((l) => l.textContent));
  const dropped = await page.$$eval('.n-dropped', (ls) => ls.length);
  const longTasks = await page.evaluate(() => window.__longTasks);
  const events = await page.evaluate(() => document.querySelector('[data-testid=timings]')?.textContent || '');
  console.log(`flood: ${workers}x${items} locked increments, ${wallMs} ms to done; ` +
    `longest main-thread task ${Math.max(0, ...longTasks).toFixed(0)} ms (${longTasks.length} over 50 ms); ` +
    `click on a console line during the flood ${clicked ? `handled in ${clickMs} ms` : 'not handled within 5 s'}; load ${os.loadavg()[0].toFixed(1)}`);
  assert.equal(dropped, 0, 'no events dropped');
  assert.ok(figures.some((f) => f.includes(`ended at ${workers * items}`)), `exact total: ${figures}`);
  assert.ok(events.length > 0);
  assert.deepEqual(errors, []);
  await context.close();
});
