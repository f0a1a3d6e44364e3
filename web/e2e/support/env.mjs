// What every browser journey stands on: the real `vestibule serve` (with a test clock) on a free
// port and a temporary data folder, a real SMTP server receiving its mail (mail_sink.py), Debian's
// Chromium driven by playwright-core, and helpers to read mail, take screenshots and run axe.
//
//   const env = await startEnv();            // server + mail sink + browser
//   const page = await env.newPage({ phone: true });
//   const mail = await env.waitForMail({ to: 'eve@partner.example' });
//   await env.shot(page, 'recipient-code');   // build/e2e-artifacts/<journey>-recipient-code.png
//   await env.axe(page);                      // fails on serious or critical violations
//   await env.stop();
import { AxeBuilder } from '@axe-core/playwright';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');

export const ADMIN = { email: 'admin@example.org', password: 'Admin-passw0rd-for-browser-tests' };
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

const kStartTimeout = 30_000;

function binary() {
  return process.env.VESTIBULE_BINARY ?? path.join(root, 'build', 'vestibule');
}

export function artifactsDir() {
  const dir = process.env.E2E_ARTIFACTS ?? path.join(root, 'build', 'e2e-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Bounded polling for something observable (never a sleep that hopes).
export async function waitUntil(what, check, timeoutMs = 10_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function startProcess(cmd, args, options, ready, what) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within ${kStartTimeout} ms:\n${output}`));
    }, kStartTimeout);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = ready(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => {
      output += c.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

// A small cookie-keeping HTTP client for setting things up through the API (as curl would).
export class ApiClient {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
  }
  async request(method, url, body, headers = {}) {
    const h = { ...headers };
    if (this.cookies.size) h.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let payload = body;
    if (body !== undefined && !(body instanceof Uint8Array) && typeof body !== 'string') {
      payload = JSON.stringify(body);
      h['Content-Type'] = 'application/json';
    }
    const r = await fetch(this.base + url, { method, headers: h, body: payload });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/max-age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await r.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: r.status, headers: r.headers, json, text };
  }
  // Like request(), but fails the test unless the status is the expected one.
  async ok(method, url, body, expected = [200, 201, 202, 204]) {
    const r = await this.request(method, url, body);
    const want = Array.isArray(expected) ? expected : [expected];
    assert.ok(want.includes(r.status), `${method} ${url} answered ${r.status}: ${r.text}`);
    return r.json;
  }
  get(url) {
    return this.ok('GET', url);
  }
  post(url, body) {
    return this.ok('POST', url, body ?? {});
  }
  async signIn(email, password) {
    await this.ok('POST', '/api/v1/session', { email, password }, 200);
    return this;
  }
}

export async function startEnv({ extraArgs = [] } = {}) {
  const journey = path.basename(process.argv[1] ?? 'journey').replace(/\.test\.mjs$/, '');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vestibule-e2e-'));

  const sink = await startProcess(
    '/usr/bin/python3',
    [path.join(here, 'mail_sink.py')],
    {},
    (out) => /READY (\d+) (\d+)/.exec(out),
    'the SMTP sink',
  );
  const smtpPort = sink.match[1];
  const mailBase = `http://127.0.0.1:${sink.match[2]}`;

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VESTIBULE_')));
  Object.assign(env, {
    VESTIBULE_SMTP__HOST: '127.0.0.1',
    VESTIBULE_SMTP__PORT: smtpPort,
    VESTIBULE_SMTP__TLS: 'none',
    VESTIBULE_SMTP__FROM: 'Vestibule <no-reply@test.example>',
  });
  const server = await startProcess(
    binary(),
    [
      'serve',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--test-clock',
      '--admin-email',
      ADMIN.email,
      '--admin-password',
      ADMIN.password,
      // Front-end work: serve a fresh `vite build` instead of the bundle in the binary.
      ...(process.env.E2E_WEB_DIR ? ['--set', `http.web_dir=${process.env.E2E_WEB_DIR}`] : []),
      ...extraArgs,
    ],
    { env },
    (out) => /Vestibule listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out),
    'vestibule serve',
  );
  const base = server.match[1];

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

  const admin = new ApiClient(base);
  await admin.signIn(ADMIN.email, ADMIN.password);

  const pages = [];
  const self = {
    base,
    dataDir,
    browser,
    admin,
    journey,

    // A fresh browser (own cookies) and a page in it; `phone` gives the 390 × 844 viewport.
    async newContext({ phone = false, ...options } = {}) {
      const context = await browser.newContext({
        viewport: phone ? PHONE : DESKTOP,
        baseURL: base,
        acceptDownloads: true,
        locale: 'en-GB',
        timezoneId: 'UTC',
        ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
        ...options,
      });
      context.setDefaultTimeout(15_000);
      return context;
    },
    async newPage(options = {}) {
      const context = await self.newContext(options);
      const page = await context.newPage();
      pages.push(page);
      return page;
    },

    // A new member, added by the admin through the API; returns an ApiClient signed in as them.
    async addMember(email, password, displayName, role = 'member') {
      await admin.ok('POST', '/api/v1/admin/users', { email, password, display_name: displayName, role }, [200, 201]);
      return new ApiClient(base).signIn(email, password);
    },

    async messages() {
      const r = await fetch(`${mailBase}/messages`);
      return r.json();
    },
    // Waits (bounded) for `count` messages to `to` (matching `where`); returns them, oldest first.
    async waitForMail({ to, where = () => true, count = 1, timeoutMs = 10_000 } = {}) {
      return waitUntil(
        `${count} message(s)${to ? ` to ${to}` : ''}`,
        async () => {
          const found = (await self.messages()).filter(
            (m) => (!to || m.to.includes(to.toLowerCase())) && where(m),
          );
          return found.length >= count ? found : null;
        },
        timeoutMs,
      );
    },

    // How the SMTP relay answers from now on, e.g. { rcpt_reply: '550 5.1.1 Mailbox unavailable' }
    // to make deliveries fail; { rcpt_reply: null } accepts again.
    async setRelay(answers) {
      const r = await fetch(`${mailBase}/relay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(answers),
      });
      assert.equal(r.status, 204, 'the mail sink took the relay answers');
    },

    // Moves the server's test clock (e.g. '31d').
    async advanceClock(by) {
      return admin.ok('POST', '/api/v1/dev/clock', { advance: by }, 200);
    },

    async shot(page, name) {
      const file = path.join(artifactsDir(), `${journey}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },

    // axe-core on the page as it is now: no serious or critical violation (WCAG 2.1 A/AA).
    async axe(page, what = page.url()) {
      const result = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
        .analyze();
      const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(
        bad.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        [],
        `axe found serious or critical violations on ${what}`,
      );
    },

    // No horizontal scrolling (the phone rule of UX.md).
    async assertNoHorizontalScroll(page) {
      const { scroll, client } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      assert.ok(scroll <= client, `the page scrolls sideways: ${scroll} px wide in a ${client} px viewport`);
    },

    serverOutput: () => server.output(),

    async stop() {
      await browser.close().catch(() => {});
      server.child.kill('SIGTERM');
      sink.child.stdin.end();
      await Promise.all(
        [server.child, sink.child].map(
          (c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))),
        ),
      );
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return self;
}

// The one 6–10 digit code in a mail's text.
export function codeOf(message) {
  const found = new Set(message.text.match(/(?<![0-9])[0-9]{6,10}(?![0-9])/g) ?? []);
  assert.equal(found.size, 1, `expected one code in the mail "${message.subject}":\n${message.text}`);
  return [...found][0];
}

// The one /s/<token> link in a mail's text (with its query, e.g. ?email=…).
export function shareUrlOf(message) {
  const found = new Set(message.text.match(/https?:\/\/[^\s<>"']+\/s\/[A-Za-z0-9_-]+(\?[^\s<>"']*)?/g) ?? []);
  assert.equal(found.size, 1, `expected one share link in the mail "${message.subject}":\n${message.text}`);
  return [...found][0];
}
