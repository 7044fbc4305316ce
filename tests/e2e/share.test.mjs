// Share, export, replay and embed (issue 6), against the release build: the trace
// download is valid Trace Event JSON that matches the run, a finished run replays forward
// and back, saved runs load from a file, and the embed works in isolated and plain hosts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, openPage, screenshot, ISOLATION_HEADERS } from './lib.mjs';

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

const SCENARIO = 'lock';

async function finishedRun(id = SCENARIO) {
  await page.goto(`${server.url}/#/examples/${id}?run=1`);
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
}

/** Click a download button and return the file's text and suggested name. */
async function download(testid) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  const file = await d.path();
  return { name: d.suggestedFilename(), text: fs.readFileSync(file, 'utf8'), file };
}

const consoleCount = async (p = page) =>
  Number((await p.textContent('[data-testid=console-count]')).match(/\d+/)[0]);

async function scrubTo(pos) {
  await page.$eval('[data-testid=replay-scrubber]', (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, pos);
  await page.waitForFunction((v) => document.querySelector('[data-testid=replay]').dataset.position === String(v), pos);
}

test('the trace download is valid Trace Event JSON that matches the run', async () => {
  errors.length = 0;
  await finishedRun();
  const trace = await download('download-trace');
  assert.match(trace.name, /\.json$/);
  const json = JSON.parse(trace.text);
  assert.ok(Array.isArray(json.traceEvents) && json.traceEvents.length > 0);
  const open = new Map();
  for (const e of json.traceEvents) {
    assert.ok(typeof e.ph === 'string' && Number.isFinite(e.ts) && Number.isFinite(e.tid) && e.pid === 1,
      `well-formed event ${JSON.stringify(e)}`);
    if (e.ph === 'B') open.set(e.tid, (open.get(e.tid) || 0) + 1);
    if (e.ph === 'E') {
      open.set(e.tid, (open.get(e.tid) || 0) - 1);
      assert.ok(open.get(e.tid) >= 0, `E without B on thread ${e.tid}`);
    }
  }
  for (const [tid, n] of open) assert.equal(n, 0, `unbalanced B/E on thread ${tid}`);
  // One named thread for every worker that wrote to the console.
  const threads = new Set(json.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args.name));
  const writers = await page.$$eval('[data-testid=console-line]', (ls) =>
    [...new Set(ls.flatMap((l) => (l.dataset.worker || '').split('+')).filter(Boolean))]);
  assert.ok(writers.length >= 2, `writers ${writers}`);
  for (const w of writers) assert.ok(threads.has(w), `a thread named ${w} in ${[...threads]}`);
  // The print instants, in order, are exactly the console's output.
  const printed = json.traceEvents.filter((e) => e.ph === 'i' && e.name === 'print').map((e) => e.args.text).join('');
  const consoleText = (await download('download-console')).text;
  const outputLines = consoleText.split('\n').filter((l, i, all) => i < all.length - 1 && !l.startsWith('*** '));
  const printedLines = printed.endsWith('\n') ? printed.slice(0, -1).split('\n') : printed.split('\n');
  assert.equal(printedLines.length, outputLines.length, 'as many printed lines as console lines');
  assert.deepEqual(printedLines, outputLines);
  const csv = await download('download-csv');
  assert.match(csv.text, /^metric,value\nwall_us,\d+/);
  assert.match(csv.text, /\ntask,worker,submit_us,start_us,end_us,latency_us,ok\n/);
  assert.deepEqual(errors, []);
});

test('copy link and the embed snippet carry the current config', async () => {
  await page.goto(`${server.url}/#/examples/${SCENARIO}?workers=3`);
  await page.waitForSelector('[data-testid=copy-link]');
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await page.click('[data-testid=copy-link]');
  await page.waitForSelector('[data-testid=copied],[data-testid=share-link]');
  const link = (await page.$('[data-testid=copied]'))
    ? await page.evaluate(() => navigator.clipboard.readText())
    : await page.inputValue('[data-testid=share-link]');
  assert.match(link, new RegExp(`^${server.url}/#/examples/${SCENARIO}\\?.*workers=3`));
  assert.doesNotMatch(link, /run=1|embed=1/);
  await page.click('[data-testid=embed-button]');
  const snippet = await page.inputValue('[data-testid=embed-snippet]');
  assert.match(snippet, /<iframe src="[^"]*workers=3[^"]*embed=1"/);
  assert.match(snippet, /allow="cross-origin-isolated"/);
  assert.match(snippet, /concurrency-playground:height/);
  const help = await page.textContent('[data-testid=embed-dialog]');
  assert.match(help, /Cross-Origin-Opener-Policy: same-origin/);
  assert.match(help, /Cross-Origin-Embedder-Policy: require-corp/);
});

test('a finished run replays forward and back', async () => {
  errors.length = 0;
  await finishedRun();
  const live = await consoleCount();
  assert.ok(live >= 3, `${live} console lines`);
  await page.click('[data-testid=replay-run]');
  await page.waitForSelector('[data-testid=replay][data-len]:not([data-len="0"])');
  const len = Number(await page.getAttribute('[data-testid=replay]', 'data-len'));
  assert.equal(await page.getAttribute('[data-testid=replay]', 'data-position'), String(len));
  assert.equal(await consoleCount(), live, 'at the end the replay shows the whole console');
  await scrubTo(Math.floor(len / 2));
  const half = await consoleCount();
  assert.ok(half < live, `halfway shows fewer lines (${half} < ${live})`);
  await scrubTo(0);
  assert.equal(await consoleCount(), 0);
  await scrubTo(len);
  assert.equal(await consoleCount(), live, 'back at the end, all lines again');
  await page.click('[data-testid=replay-back]');
  assert.equal(await page.getAttribute('[data-testid=replay]', 'data-position'), String(len - 1));
  await page.click('[data-testid=replay-forward]');
  assert.equal(await page.getAttribute('[data-testid=replay]', 'data-position'), String(len));
  // Play from the start at 10x: the cursor moves forward by itself.
  await page.selectOption('[data-testid=replay-speed]', '10');
  await page.click('[data-testid=replay-play]');
  await page.waitForFunction(() => {
    const r = document.querySelector('[data-testid=replay]');
    return Number(r.dataset.position) > 0;
  });
  await page.waitForFunction(() => document.querySelector('[data-testid=replay]').dataset.playing === 'false',
    null, { timeout: 60000 });
  assert.equal(await page.getAttribute('[data-testid=replay]', 'data-position'), String(len));
  await screenshot(page, 'replay');
  assert.deepEqual(errors, []);
});

test('a saved run loads from a file; a wrong file is refused with a reason', async () => {
  await finishedRun();
  const saved = await download('save-run');
  const events = JSON.parse(saved.text).events.length;
  await page.goto(`${server.url}/#/replay`);
  await page.setInputFiles('[data-testid=replay-file]', saved.file);
  await page.waitForSelector(`[data-testid=replay][data-len="${events}"]`);
  assert.ok(await consoleCount() >= 3);
  const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trace-')), 'chrome.json');
  fs.writeFileSync(bad, JSON.stringify({ traceEvents: [] }));
  await page.setInputFiles('[data-testid=replay-file]', bad);
  const message = await page.textContent('[data-testid=replay-error]');
  assert.match(message, /Chrome Trace Event/);
});

/** A course page on another origin, embedding the example, recording the heights sent. */
async function host(headers, src) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-'));
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><title>course</title><link rel="icon" href="data:,">
<p>A course page.</p>
<iframe src="${src}" width="900" height="400" style="border:0" allow="cross-origin-isolated"></iframe>
<script>
  window.heights = [];
  addEventListener('message', (e) => {
    if (!e.data || e.data.type !== 'concurrency-playground:height') return;
    window.heights.push(e.data.height);
    document.querySelector('iframe').style.height = Math.ceil(e.data.height) + 'px';
  });
</script>`);
  return serve({ dir, headers });
}

test('embedded in an isolated host page, the example runs live and sizes its iframe', async () => {
  const h = await host(ISOLATION_HEADERS, `${server.url}/#/examples/${SCENARIO}?embed=1&run=1`);
  const { page: p, errors: errs, context: ctx } = await openPage(browser, `${h.url}/`);
  const frame = await (await p.waitForSelector('iframe')).contentFrame();
  await frame.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  assert.ok(await consoleCount(frame) >= 3);
  // The code is fetched from the site, not built in: the embed shows it too.
  await frame.waitForFunction(() => document.querySelector('[data-testid=code-python]')?.textContent.includes('__main__'));
  assert.equal(await frame.$eval('.site-header', (e) => getComputedStyle(e).display), 'none');
  await p.waitForFunction(() => window.heights.length > 0);
  const sent = await p.evaluate(() => window.heights.at(-1));
  const actual = await frame.evaluate(() => document.documentElement.getBoundingClientRect().height);
  assert.ok(Math.abs(sent - actual) <= 2, `height sent ${sent}, document ${actual}`);
  assert.ok(sent > 400, `the page is taller than the iframe's first height (${sent})`);
  const iframeHeight = await p.$eval('iframe', (f) => f.getBoundingClientRect().height);
  assert.ok(Math.abs(iframeHeight - Math.ceil(sent)) <= 2, `iframe resized to ${iframeHeight}`);
  await screenshot(p, 'embed-isolated');
  assert.deepEqual(errs, []);
  await ctx.close();
  await h.close();
});

test('embedded in a plain host page, the example explains and offers a new tab', async () => {
  const h = await host({}, `${server.url}/#/examples/${SCENARIO}?embed=1`);
  const { page: p, errors: errs, context: ctx } = await openPage(browser, `${h.url}/`);
  const frame = await (await p.waitForSelector('iframe')).contentFrame();
  await frame.waitForSelector('[data-testid=no-workers]', { timeout: 20000 });
  assert.match(await frame.textContent('[data-testid=no-workers]'), /cross-origin isolated/);
  const newTab = await frame.getAttribute('[data-testid=no-workers] a[target=_blank]', 'href');
  assert.match(newTab, /#\/examples\/lock/);
  await frame.waitForFunction(() => document.querySelector('[data-testid=code-python]')?.textContent.includes('__main__'));
  assert.doesNotMatch(newTab, /embed=1/);
  await p.waitForFunction(() => window.heights.length > 0);
  await screenshot(p, 'embed-plain');
  assert.deepEqual(errs, []);
  await ctx.close();
  await h.close();
});
