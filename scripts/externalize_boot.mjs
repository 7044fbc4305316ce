// Trunk post-build hook: moves the inline module script trunk writes into index.html
// (the one that loads the wasm) into its own file, boot.js. With no inline script left,
// the Content-Security-Policy in static/_headers needs no 'unsafe-inline' and no hash
// that would change with every build.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('run me as a trunk post_build hook (TRUNK_STAGING_DIR is unset)');
const indexPath = path.join(dir, 'index.html');
const html = fs.readFileSync(indexPath, 'utf8');
// Trunk's release minifier drops the quotes (`<script type=module>`): match both forms.
const inline = /<script type="?module"?>([\s\S]*?)<\/script>/;
const found = html.match(inline);
if (!found) {
  console.log('externalize_boot: no inline module script in index.html; nothing to do');
} else {
  fs.writeFileSync(path.join(dir, 'boot.js'), found[1].trim() + '\n');
  fs.writeFileSync(indexPath, html.replace(inline, '<script type="module" src="boot.js"></script>'));
  console.log('externalize_boot: moved the loader script into boot.js');
}
// `trunk serve` may add its own live-reload script; only a release build must be clean,
// and the CSP browser test (tests/e2e/hosting.test.mjs) is what proves it.
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(fs.readFileSync(indexPath, 'utf8'))) {
  console.warn('externalize_boot: index.html still has an inline script (blocked by the CSP)');
}
