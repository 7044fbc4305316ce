// Security promises: no request leaves the page's origin, and values from the URL are
// shown as text, never run as markup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedSuite, openPage } from './lib.mjs';

const suite = isolatedSuite();

test('every request a run makes is same-origin', async () => {
  const context = await suite.browser.newContext();
  const page = await context.newPage();
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(`${suite.server.url}/#/examples/site-checker?run=1`);
  await page.waitForSelector('[data-run-state=done]', { timeout: 60000 });
  await page.goto(`${suite.server.url}/#/`);
  await page.waitForSelector('[data-testid=scenario-card]');
  const origin = new URL(suite.server.url).origin;
  const foreign = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).origin !== origin);
  assert.ok(requests.length > 3, `saw ${requests.length} requests`);
  assert.deepEqual(foreign, []);
  await context.close();
});

test('a <script> in a URL parameter shows up literally', async () => {
  const { page, errors, context } = await openPage(suite.browser, `${suite.server.url}/`);
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs += 1; await d.dismiss(); });
  const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  await page.goto(`${suite.server.url}/#/examples/lock?workers=${encodeURIComponent(evil)}&${encodeURIComponent(evil)}=1`);
  await page.waitForSelector('[data-testid=config-messages]');
  const text = await page.textContent('[data-testid=config-messages]');
  assert.match(text, /<script>/, 'the value is shown as text');
  assert.equal(await page.$$eval('[data-testid=config-messages] script, [data-testid=config-messages] img', (n) => n.length), 0);
  await page.goto(`${suite.server.url}/#/examples/${encodeURIComponent(evil)}`);
  await page.waitForSelector('[data-testid=unknown-example]');
  assert.match(await page.textContent('[data-testid=unknown-example]'), /<script>/);
  await page.waitForTimeout(300);
  assert.equal(dialogs, 0, 'nothing ran');
  assert.deepEqual(errors.filter((e) => !e.includes('404')), []);
  await context.close();
});
