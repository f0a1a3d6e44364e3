// The recipient's page as a browser loads it (SPEC §8 "web UI"): opens /s/{token} in Debian's
// Chromium (playwright-core from web/node_modules) on loopback, `runs` times each in a fresh
// browser context (nothing cached), and prints JSON: the JavaScript + CSS bytes that crossed the
// wire (compressed, as served) and the time from navigation start to the page being interactive
// — the moment the recipient page marks `vestibule-interactive`, when its first state (the
// address form, or the shared item) is rendered and its controls work.
//
//   node bench/web_page.mjs URL [COOKIE] [RUNS]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const [url, cookie = '', runsText = '5'] = process.argv.slice(2);
const runs = Number(runsText);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ],
});
const results = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    if (cookie) {
      const [name, value] = cookie.split('=');
      await context.addCookies([{ name, value, url }]);
    }
    const page = await context.newPage();
    const bytes = { js: 0, css: 0 };
    const pending = [];
    page.on('requestfinished', (request) => {
      const type = request.resourceType();
      if (type !== 'script' && type !== 'stylesheet') return;
      pending.push(
        request.sizes().then((s) => {
          bytes[type === 'script' ? 'js' : 'css'] += s.responseBodySize;
        }),
      );
    });
    await page.goto(url);
    const interactive = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const found = () => performance.getEntriesByName('vestibule-interactive')[0];
          const done = found();
          if (done) return resolve(done.startTime);
          new PerformanceObserver((list, observer) => {
            const mark = list.getEntriesByName('vestibule-interactive')[0];
            if (mark) {
              observer.disconnect();
              resolve(mark.startTime);
            }
          }).observe({ type: 'mark', buffered: true });
        }),
    );
    await page.waitForLoadState('networkidle');
    await Promise.all(pending);
    results.push({ interactive_ms: interactive, js_bytes: bytes.js, css_bytes: bytes.css });
    await context.close();
  }
} finally {
  await browser.close();
}
results.sort((a, b) => a.interactive_ms - b.interactive_ms);
const median = results[Math.floor(results.length / 2)];
console.log(JSON.stringify({ runs: results.length, median, all: results }));
