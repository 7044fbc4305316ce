// Every example, run in the browser with its default knobs: it finishes (the deadlock
// lesson finishes by being diagnosed), several workers write where the pattern has
// several, the timeline draws, and nothing is logged as an error. Also: configured links
// reproduce their config, and bad values in a link get a clear message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, screenshot, exampleIds, runWithDefaults, ISOLATION_HEADERS } from './lib.mjs';

let browser, server, page, errors, context;
before(async () => {
  browser = await launch();
  server = await serve({ headers: ISOLATION_HEADERS });
  ({ page, errors, context } = await openPage(browser, `${server.url}/`));
});
after(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

const ids = () => exampleIds(page);

// Patterns whose workers report through a queue that the main program prints, as the
// Python does: there the timeline must show the workers instead.
const MAIN_PRINTS = new Set(['site-checker', 'executor', 'shared-state', 'parallel-map', 'gil', 'do-work', 'timing-calls']);

test('the catalogue lists all 18 examples, grouped by theme', async () => {
  await page.goto(`${server.url}/`);
  await page.waitForSelector('[data-testid=scenario-card]');
  assert.equal((await ids()).length, 18);
  assert.equal(await page.$$eval('.theme h2', (hs) => hs.length), 7);
  await screenshot(page, 'catalogue');
});

test('every example runs in the browser with its defaults', async () => {
  await page.goto(`${server.url}/`);
  await page.waitForSelector('[data-testid=scenario-card]');
  const all = await ids();
  const failures = [];
  for (const id of all) {
    errors.length = 0;
    const { finished, problem } = await runWithDefaults(page, server.url, id);
    if (problem) failures.push(problem);
    if (!finished) continue;
    const writers = await page.$$eval('[data-testid=console-line]', (ls) =>
      [...new Set(ls.flatMap((l) => (l.dataset.worker || '').split('+')).filter((w) => w && w !== 'MainThread' && w !== 'MainProcess'))]);
    const lanes = await page.$$eval('[data-testid=timeline-lane]', (ls) => ls.length);
    if (MAIN_PRINTS.has(id)) {
      if (lanes < 3) failures.push(`${id}: timeline has ${lanes} lanes`);
    } else {
      if (writers.length < 2) failures.push(`${id}: output from ${writers.length} workers (${writers})`);
      if (lanes < 2) failures.push(`${id}: timeline has ${lanes} lanes`);
    }
    if (errors.length) failures.push(`${id}: console errors: ${errors.join(' | ')}`);
    if (['lock', 'gil', 'do-work'].includes(id)) await screenshot(page, `example-${id}`);
  }
  assert.deepEqual(failures, []);
});

// Regression: in wasm `spin_loop()` compiles to nothing, so each worker's 10,000
// unlocked increments took microseconds, ended before the next worker woke, and the lesson
// showed "lost 0" in every browser run. The lesson must lose updates by default.
test('the lock lesson loses updates without the lock, with its defaults, in the browser', async () => {
  const seen = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${server.url}/#/examples/lock?part=counter&run=1`);
    await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
    const lost = await page.$$eval('[data-testid=figures] li', (ls) =>
      ls.map((l) => l.textContent).find((t) => /^lost \d+ of/.test(t)) || '');
    seen.push(lost);
    if (!/^lost 0 of/.test(lost)) break;
    await page.goto(`${server.url}/#/`);
  }
  console.log(`# lock lesson, lock off: ${seen.join('; ')}`);
  assert.ok(seen.some((t) => /^lost [1-9]\d* of/.test(t)), `updates lost in one of ${seen.length} runs: ${seen}`);
});

// Regression: every shared Value and every semaphore records a counter named "value", and
// the state panel drew them all as one "value" card (it read 4 after the bounded buffer);
// each Value's own lock also had a card of its own. Each value is on its own card now.
test('the bounded buffer state panel shows each shared value on its own card', async () => {
  await page.goto(`${server.url}/#/examples/bounded-buffer?items=10&produce-ms=1&consume-ms=2&run=1`);
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  const cards = await page.$$eval('[data-testid=state-object]', (cs) =>
    Object.fromEntries(cs.map((c) => [c.dataset.name, c.getAttribute('aria-label')])));
  const counters = await page.$$eval('[data-testid=state-counter]', (cs) => cs.map((c) => c.dataset.name));
  assert.deepEqual(counters, []);
  assert.deepEqual(Object.keys(cards).sort(), ['buffer', 'consumed', 'empty', 'fill', 'mutex', 'produced', 'put_at', 'take_at']);
  assert.equal(cards.produced, 'produced: value 10');
  assert.equal(cards.put_at, 'put_at: value 2');
  assert.equal(cards.buffer, 'buffer: [0, 0, 0, 0]');
});

// Regression: the main program blocked in join() or map() showed an idle lane and
// "Waiting 0 µs"; the legend listed thirteen kinds whatever the run drew.
test('the timeline shows the main program joining and waiting for results', async () => {
  const legend = () => page.$$eval('.timeline-legend li', (ls) => ls.map((l) => l.textContent.trim()));
  await page.goto(`${server.url}/#/examples/start-join?run=1`);
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  assert.ok(await page.$$eval('[data-testid=timeline-svg] .sk-joinwait', (r) => r.length) > 0, 'a join span');
  assert.ok((await legend()).includes('joining'), `legend: ${await legend()}`);
  assert.ok(!(await legend()).includes('barrier wait'), `legend: ${await legend()}`);
  await page.goto(`${server.url}/#/`);
  await page.goto(`${server.url}/#/examples/pool?run=1`);
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  assert.ok(await page.$$eval('[data-testid=timeline-svg] .sk-resultwait', (r) => r.length) > 0, 'a result wait span');
  // The ticks are explained too: the pool's workers print, nobody puts on a queue.
  assert.ok((await legend()).includes('print or log'), `legend: ${await legend()}`);
  assert.ok(!(await legend()).includes('put on a queue'), `legend: ${await legend()}`);
  const mainWaiting = await page.$eval('[data-testid=worker-times] tbody tr', (tr) => tr.cells[3].textContent);
  assert.notEqual(mainWaiting, '0 µs');
});

// The Python and the Rust are fetched from the site (code/), not compiled into the wasm.
test('the code panel loads both texts, and says so when it cannot', async () => {
  const codeText = (id) => page.$eval(`[data-testid=code-${id}] pre`, (e) => e.textContent).catch(() => '');
  await page.goto(`${server.url}/#/examples/lock`);
  await page.waitForFunction(() => document.querySelector('[data-testid=code-python] pre')?.textContent.includes('__main__'));
  assert.equal(await page.$('[data-testid=code-loading]'), null);
  await page.click('[data-testid=code-tab-rust]');
  await page.waitForSelector('[data-testid=code-rust] pre');
  const rust = await codeText('rust');
  assert.match(rust, /pub fn run\(s: &Scene\)/);
  // Only the code between the markers, not the rest of the module.
  assert.doesNotMatch(rust, /ANCHOR|use super::runner|fn threads_needed/);

  // A failed fetch: a clear message, a working Try again, and no crash.
  const { page: p, context: ctx } = await openPage(browser, `${server.url}/`);
  await p.route('**/code/**', (r) => r.abort());
  await p.goto(`${server.url}/#/examples/event`);
  await p.waitForSelector('[data-testid=code-error]');
  assert.match(await p.textContent('[data-testid=code-error]'), /Could not load the code: could not fetch code\/python\/event\.py/);
  await p.unroute('**/code/**');
  await p.click('[data-testid=code-retry]');
  await p.waitForFunction(() => document.querySelector('[data-testid=code-python] pre')?.textContent.includes('__main__'));
  assert.equal(await p.$('[data-testid=code-error]'), null);
  await p.click('[data-testid=run]');
  await p.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  await ctx.close();
});

// Regression: the sweep timed each whole run, and the parallel-map run also times the
// serial comprehension, which no pool shortens: the chart showed 1.1-1.3x at 2 workers and
// "72% serial". It now plots the lesson's own pool.map time, and says so.
test('the speedup sweep of parallel-map times pool.map, not the whole run', async () => {
  errors.length = 0;
  await page.goto(`${server.url}/#/examples/parallel-map?items=24&work=200`);
  await page.waitForSelector('[data-testid=sweep]:not([disabled])', { timeout: 30000 });
  await page.click('[data-testid=sweep]');
  await page.waitForSelector('[data-testid=sweep-result] table', { timeout: 120000 });
  await page.waitForSelector('[data-testid=sweep]:not([disabled])', { timeout: 120000 });
  assert.match(await page.textContent('[data-testid=sweep-measure]'), /parallel part/);
  const rows = await page.$$eval('[data-testid=sweep-result] table tbody tr', (trs) =>
    trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3', '4']);
  // The last run (4 workers) is on screen: its own pool.map time is the sweep's last point.
  const printed = await page.$$eval('[data-testid=console-line]', (ls) =>
    ls.map((l) => l.textContent).find((t) => t.includes('pool.map(4):')));
  const own = printed.match(/pool\.map\(4\):\s+([0-9.]+) s/)[1];
  assert.equal(rows[3][1], own, `sweep ${rows[3][1]} s, the lesson printed ${own} s`);
  assert.deepEqual(errors, []);
});

// Regression: in the gil lesson each worker brings its own task, so N workers do N times
// the work. The sweep plotted one worker's time over N workers' time: with threads under
// the GIL that read 0.25x at 4 workers against an ideal of 4x, as if threads made CPU
// work slower, when the lesson's point is that they leave it the same. It now plots the
// time per task, so threads under the GIL read about 1x (processes about the cores).
test('the gil sweep counts work per task: threads under the GIL stay near 1x, not 1/N', async () => {
  errors.length = 0;
  await page.goto(`${server.url}/#/examples/gil?flavour=thread&gil=true&repeat=1`);
  await page.waitForSelector('[data-testid=sweep]:not([disabled])', { timeout: 30000 });
  await page.click('[data-testid=sweep]');
  await page.waitForSelector('[data-testid=sweep-result] table', { timeout: 120000 });
  assert.match(await page.textContent('[data-testid=sweep-measure]'), /brings its own task/);
  assert.equal(await page.textContent('[data-testid=sweep-table] thead th:nth-child(2)'), 'Per task (s)');
  const rows = await page.$$eval('[data-testid=sweep-table] tbody tr', (trs) =>
    trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3', '4']);
  const at4 = parseFloat(rows[3][2]);
  assert.ok(at4 > 0.6 && at4 < 1.6, `4 threads under the GIL: ${at4}x per task (about 1x expected)`);
  assert.deepEqual(errors, []);
});

// Regression: in worker-class each worker counts on its own, so 4 workers do 4 times the
// work in the same wall time. The sweep plotted the whole run's wall time: about 1x at
// every worker count, fitted as "100% serial", when the workers ran side by side. It now
// divides by the workers; their sleeps overlap, so 4 workers get far more than 1x.
test('the worker-class sweep counts work per worker: overlapping workers read well above 1x', async () => {
  errors.length = 0;
  await page.goto(`${server.url}/#/examples/worker-class`);
  await page.waitForSelector('[data-testid=sweep]:not([disabled])', { timeout: 30000 });
  await page.click('[data-testid=sweep]');
  await page.waitForSelector('[data-testid=sweep-result] table', { timeout: 120000 });
  assert.match(await page.textContent('[data-testid=sweep-measure]'), /brings its own work/);
  assert.equal(await page.textContent('[data-testid=sweep-table] thead th:nth-child(2)'), 'Per worker (s)');
  const rows = await page.$$eval('[data-testid=sweep-table] tbody tr', (trs) =>
    trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3', '4']);
  const at4 = parseFloat(rows[3][2]);
  assert.ok(at4 > 2, `4 workers whose sleeps overlap: ${at4}x per worker (about 4x expected)`);
  assert.deepEqual(errors, []);
});

// timing-calls runs k = 1, 2 and WORKERS calls at once itself; a sweep of WORKERS only
// added levels to its run and read 0.75x, "100% serial". It offers none.
test('timing-calls offers no speedup sweep; pool does', async () => {
  await page.goto(`${server.url}/#/examples/timing-calls`);
  await page.waitForSelector('[data-testid=run]');
  assert.equal(await page.$('[data-testid=sweep]'), null);
  await page.goto(`${server.url}/#/examples/pool`);
  await page.waitForSelector('[data-testid=sweep]');
});

test('a configured link reproduces its config, and editing a knob rewrites the link', async () => {
  await page.goto(`${server.url}/#/examples/lock?workers=3&use-lock=true&part=counter`);
  await page.waitForSelector('[data-knob=workers]');
  assert.equal(await page.inputValue('[data-knob=workers]'), '3');
  assert.equal(await page.isChecked('[data-knob=use-lock]'), true);
  assert.equal(await page.inputValue('[data-knob=part]'), 'counter');
  await page.fill('[data-knob=workers]', '5');
  await page.press('[data-knob=workers]', 'Tab');
  await page.waitForFunction(() => location.hash.includes('workers=5'));
  const link = await page.evaluate(() => location.href);
  await page.goto(`${server.url}/`);
  await page.goto(link);
  await page.waitForSelector('[data-knob=workers]');
  assert.equal(await page.inputValue('[data-knob=workers]'), '5');
  assert.equal(await page.isChecked('[data-knob=use-lock]'), true);
});

test('bad values in a link show a message and safe values', async () => {
  await page.goto(`${server.url}/#/examples/lock?workers=999&items=banana&bogus=1`);
  await page.waitForSelector('[data-testid=config-messages]');
  const text = await page.textContent('[data-testid=config-messages]');
  assert.match(text, /999/);
  assert.match(text, /banana/);
  assert.match(text, /bogus/);
  assert.equal(await page.inputValue('[data-knob=workers]'), '16');
  await page.goto(`${server.url}/#/examples/no-such-thing`);
  await page.waitForSelector('[data-testid=unknown-example]');
});

// Each run here resizes the pool. This is also the regression test for the main thread
// waiting on a lock inside rayon while dropping the old pool: the browser threw
// "Atomics.wait cannot be called in this context" (about one walk in 20), the run stayed
// idle and the next page came up blank. Uncaught errors are reported per example.
test('every example with a pool-size knob runs with 16 workers (oversubscribed here)', async () => {
  await page.goto(`${server.url}/`);
  await page.waitForSelector('[data-testid=scenario-card]');
  const failures = [];
  let tried = 0;
  for (const id of await ids()) {
    errors.length = 0;
    await page.goto(`${server.url}/#/examples/${id}`);
    await page.waitForSelector('[data-testid=knobs]');
    const key = (await page.$('[data-knob=workers]')) ? 'workers' : (await page.$('[data-knob=pool]')) ? 'pool' : null;
    if (!key) continue;
    tried += 1;
    await page.goto(`${server.url}/#/`);
    await page.goto(`${server.url}/#/examples/${id}?${key}=16&run=1`);
    try {
      await page.waitForSelector('[data-run-state=done],[data-run-state=failed]', { timeout: 90000 });
    } catch {
      failures.push(`${id}: not finished within 90 s with ${key}=16 ${errors.join(' | ')}`);
      continue;
    }
    const uncaught = errors.filter((e) => e.startsWith('uncaught'));
    if (uncaught.length) failures.push(`${id}: ${uncaught.join(' | ')}`);
    const state = await page.getAttribute('[data-run-state]', 'data-run-state');
    if (state !== 'done') {
      const error = await page.$eval('[data-testid=run-error]', (e) => e.textContent).catch(() => '');
      failures.push(`${id}: ${state} with ${key}=16: ${error}`);
    }
  }
  console.log(`ran ${tried} examples with 16 workers`);
  assert.ok(tried >= 10, `only ${tried} examples have a pool-size knob`);
  assert.deepEqual(failures, []);
});
