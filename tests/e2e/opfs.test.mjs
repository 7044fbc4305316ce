// The do-work lesson's file items in the browser: with OPFS, every round trip goes through
// a pool Worker's scratch file and the results say so; the scratch files go away with their
// pool; and a page without OPFS says its files went to memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedSuite, openPage, screenshot } from './lib.mjs';

const SMALL = 'pool=8&file-items=20&file-kb=64&square-items=200';
const SCRATCH_DIR = 'concurrency-playground-scratch';

const suite = isolatedSuite();

async function runDoWork(page) {
  await page.goto(`${suite.server.url}/#/examples/do-work?${SMALL}&run=1`);
  await page.waitForSelector('[data-run-state=done],[data-run-state=failed]', { timeout: 90000 });
  const state = await page.getAttribute('[data-run-state]', 'data-run-state');
  const error = await page.$eval('[data-testid=run-error]', (e) => e.textContent).catch(() => '');
  assert.equal(state, 'done', error);
  return page.$eval('[data-testid=figures] li[data-key=file-store]', (li) => li.textContent);
}

// How many scratch files the page's origin holds right now.
const scratchFiles = (page) => page.evaluate(async (dirName) => {
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle(dirName, { create: true });
  let n = 0;
  for await (const _ of dir.keys()) n += 1;
  return n;
}, SCRATCH_DIR);

test('do-work writes its files through OPFS and the scratch files leave with their pool', async () => {
  const { page, errors, context } = await openPage(suite.browser, `${suite.server.url}/`);
  try {
    const text = await runDoWork(page);
    // Two file cases (thread and process) of 20 items each, all on OPFS.
    assert.match(text, /all 40 file round trips went to OPFS/);
    assert.match(text, /one scratch file per Web Worker/);
    const lines = await page.$$eval('[data-testid=console-line]', (ls) => ls.map((l) => l.textContent));
    assert.ok(lines.some((l) => /files: all 40 file round trips went to OPFS/.test(l)), lines.join('\n'));
    // One scratch file per Worker of the live 8-Worker pool.
    assert.equal(await scratchFiles(page), 8);
    await page.locator('[data-testid=figures]').scrollIntoViewIfNeeded();
    await screenshot(page, 'do-work-opfs');

    // Rebuilding the pool (no file work) closes the old Workers, which delete their files.
    await page.goto(`${suite.server.url}/#/environment`);
    await page.fill('[data-testid=pool-size]', '2');
    await page.click('[data-testid=pool-apply]');
    await page.waitForFunction(async (dirName) => {
      const root = await navigator.storage.getDirectory();
      const dir = await root.getDirectoryHandle(dirName, { create: true });
      for await (const _ of dir.keys()) return false;
      return true;
    }, SCRATCH_DIR, { timeout: 30000, polling: 200 });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('without OPFS the lesson says its files went to memory', async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The page (not its Workers) loses OPFS: the runtime then picks the memory store.
  await context.addInitScript(() => {
    if (globalThis.StorageManager) delete StorageManager.prototype.getDirectory;
  });
  const page = await context.newPage();
  try {
    const text = await runDoWork(page);
    assert.match(text, /went to memory/);
    assert.doesNotMatch(text, /OPFS/);
  } finally {
    await context.close();
  }
});
