// How the binary serves the web front end: the app's HTML for every app path with a strict
// Content-Security-Policy and no caching, hashed assets cached for a year (gzip when asked), the
// reserved paths kept for the API, and a page that runs with no CSP violation in Chromium.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEnv } from './support/env.mjs';

let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('every app path gets the app, never cached, under a strict policy', async () => {
  for (const p of ['/', '/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/admin', '/admin/policy', '/files/1']) {
    const r = await fetch(env.base + p);
    assert.equal(r.status, 200, p);
    assert.match(r.headers.get('content-type'), /^text\/html/, p);
    assert.equal(r.headers.get('cache-control'), 'no-cache', p);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const html = await r.text();
    assert.match(html, /<html lang="en">/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script');
    assert.doesNotMatch(html, /https?:\/\//, 'a reference to another origin');
  }
});

test('hashed assets are cached for a year and gzipped when asked', async () => {
  const html = await (await fetch(env.base + '/')).text();
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(script, 'the page loads its script from /assets/');
  const plain = await fetch(env.base + script, { headers: { 'Accept-Encoding': 'identity' } });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(plain.headers.get('content-type'), /^text\/javascript/);
  assert.equal(plain.headers.get('content-encoding'), null);
  const body = await plain.arrayBuffer();
  // fetch() decodes gzip itself; compare sizes on the wire with a raw request instead.
  const { request } = await import('node:http');
  const wire = await new Promise((resolve, reject) => {
    const req = request(env.base + script, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: n }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(wire.encoding, 'gzip');
  assert.ok(wire.bytes < body.byteLength, `gzip (${wire.bytes}) smaller than plain (${body.byteLength})`);

  const missing = await fetch(env.base + '/assets/not-in-this-build.js');
  assert.equal(missing.status, 404);
});

test('reserved paths keep the API answers', async () => {
  const api = await fetch(env.base + '/api/v1/nothing-here');
  assert.equal(api.status, 404);
  assert.equal((await api.json()).error.code, 'not_found');
  assert.equal((await fetch(env.base + '/healthz')).status, 200);
  const post = await fetch(env.base + '/s/x', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const head = await fetch(env.base + '/admin', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.match(head.headers.get('content-type'), /^text\/html/);
});

test('the app runs in Chromium with no policy violation and no failed request', async () => {
  const page = await env.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
  await page.goto('/');
  await page.waitForLoadState('networkidle');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.ok((await page.title()).length > 0);
  assert.deepEqual(
    problems.filter((p) => /Content Security Policy|failed:/.test(p)),
    [],
  );
  await env.shot(page, 'app');
});
