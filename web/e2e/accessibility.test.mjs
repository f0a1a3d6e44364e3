// Every page and state a person can reach, checked the same way: axe-core (no serious or
// critical violation), every form control with a visible <label> that has text, every button
// with visible text, no sideways scrolling at 390 px on the recipient's pages and in the admin
// center, and a screenshot of each (build/e2e-artifacts/accessibility-<state>.png).
//
// The pages belong to three engineers; the journey drives them only through the shared
// vocabulary (docs/web-ui.md, FE-COMMON.md), so it holds whoever changes a page's layout.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { ADMIN, codeOf, shareUrlOf, startEnv, waitUntil } from './support/env.mjs';

const PASSWORD = 'Member-passw0rd-for-tests';
const ADA = { email: 'ada@example.org', name: 'Ada Lovelace' };
const EVE = 'eve@partner.example';
const BOUNCE = 'nobody@bounce.example';
const MALLORY = 'mallory@rival.example';
const CAROL = 'carol@partner.example';

let env;
let ada; // ApiClient signed in as Ada
let root;
const files = {};
const links = {};
let member; // Ada's browser (desktop)
let admin; // the admin's browser (desktop)
let adminPhone; // the admin's browser (390 px)
let recipient; // Eve's phone

before(async () => {
  env = await startEnv();
  ada = await env.addMember(ADA.email, PASSWORD, ADA.name, 'user');
  const { spaces } = await ada.get('/api/v1/spaces');
  root = spaces.find((s) => s.kind === 'personal').root_item_id;
});
after(async () => {
  await env?.stop();
});

// ---- the checks every state gets ----

// Form controls without a <label for> / wrapping <label> with text, or whose label is not
// visible while the control is in use.
function unlabelledControls(page, scope) {
  return page.evaluate((scope) => {
    const shown = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 1 && r.height > 1 && el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
    };
    const out = [];
    const root = (scope && document.querySelector(scope)) || document;
    for (const el of root.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden') continue;
      const what =
        `${el.tagName.toLowerCase()}${el.type && el.tagName === 'INPUT' ? `[type=${el.type}]` : ''}` +
        `${el.id ? `#${el.id}` : ''}${el.name ? `[name=${el.name}]` : ''}` +
        `${el.getAttribute('aria-label') ? ` (aria-label "${el.getAttribute('aria-label')}")` : ''}`;
      const labels = [...(el.labels ?? [])].filter((l) => l.textContent.trim() !== '');
      if (labels.length === 0) {
        out.push(`${what}: no <label for> or wrapping <label> with text`);
        continue;
      }
      const inUse = el.type === 'file' || el.checkVisibility();
      if (inUse && !labels.some(shown)) out.push(`${what}: its label is not visible`);
    }
    return out;
  }, scope);
}

// Buttons whose text cannot be seen (an icon alone, or text only for screen readers).
function buttonsWithoutText(page, scope) {
  return page.evaluate((scope) => {
    const visibleText = (el) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (!n.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(n);
        const r = range.getBoundingClientRect();
        if (r.width > 1 && r.height > 1) return true;
      }
      return false;
    };
    const out = [];
    const root = (scope && document.querySelector(scope)) || document;
    const all = root.querySelectorAll(
      'button, [role=button], input[type=submit], input[type=button], input[type=reset]',
    );
    for (const b of all) {
      const text = (b.tagName === 'INPUT' ? b.value : b.textContent).trim();
      const ok = b.checkVisibility() && b.tagName !== 'INPUT' ? visibleText(b) : text !== '';
      if (!ok) out.push(`${b.outerHTML.slice(0, 160)}`);
    }
    return out;
  }, scope);
}

// Screenshot first (so that a failing state still leaves its picture), then the checks. With a
// modal dialog open the rest of the page is inert, so `scope` limits the label and button
// checks to the dialog (axe still looks at the whole page).
async function check(page, name, { axe = true, noSideScroll = false, scope } = {}) {
  const t0 = Date.now();
  await env.shot(page, name);
  const t1 = Date.now();
  if (axe) await env.axe(page, name);
  if (process.env.E2E_TIMING) console.error(`${name}: shot ${t1 - t0} ms, axe ${Date.now() - t1} ms`);
  assert.deepEqual(await unlabelledControls(page, scope), [], `${name}: every form control has a visible label`);
  assert.deepEqual(await buttonsWithoutText(page, scope), [], `${name}: every button has visible text`);
  if (noSideScroll) await env.assertNoHorizontalScroll(page);
}

// A state's test: on failure, a picture of the page as it was (…-FAILED-<state>.png).
function state(title, fn) {
  test(title, async () => {
    const seen = { page: null };
    try {
      await fn(seen);
    } catch (e) {
      const slug = title.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      if (seen.page && !seen.page.isClosed()) await env.shot(seen.page, `FAILED-${slug}`).catch(() => {});
      throw e;
    }
  });
}

async function signIn(page, email, password) {
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const menuButton = (page, name) => page.getByRole('button', { name: `Actions for ${name}` });
const action = (page, name) =>
  page.getByRole('menuitem', { name, exact: true }).or(page.getByRole('button', { name, exact: true })).first();

async function share(itemId, to, extra = {}) {
  const link = await ada.post(`/api/v1/items/${itemId}/links`, { kind: 'specific', role: 'view', recipients: [to], ...extra });
  return link;
}

async function adminOutbox() {
  return (await env.admin.get('/api/v1/admin/outbox')).messages;
}

// ---- sign-in and the member's pages ----

state('sign-in', async (seen) => {
  member = seen.page = await env.newPage();
  await member.goto('/');
  await member.getByRole('button', { name: 'Sign in' }).waitFor();
  await check(member, 'sign-in');
  const phone = (seen.page = await env.newPage({ phone: true }));
  await phone.goto('/');
  await phone.getByRole('button', { name: 'Sign in' }).waitFor();
  await check(phone, 'sign-in-phone', { axe: false, noSideScroll: true });
  await phone.context().close();
});

state('files, empty', async (seen) => {
  seen.page = member;
  await signIn(member, ADA.email, PASSWORD);
  await member.getByRole('heading', { level: 1, name: 'My files' }).waitFor();
  await check(member, 'files-empty');
});

test('setting up: files, links, an access request, a failed mail, a blocked address', async () => {
  for (const [name, text] of [
    ['plan.txt', 'The plan for the third quarter.\n'],
    ['notes.txt', 'Notes from Tuesday.\n'],
    ['old.txt', 'Last year.\n'],
    ['draft.txt', 'A draft nobody needs.\n'],
  ]) {
    files[name] = await ada.ok('PUT', `/api/v1/items/${root}/files/${name}`, text, [201]);
  }
  files.Reports = await ada.ok('POST', `/api/v1/items/${root}/children`, { name: 'Reports', kind: 'folder' }, [201]);
  await ada.ok('DELETE', `/api/v1/items/${files['draft.txt'].id}`, undefined, [200, 204]);

  links.plan = await share(files['plan.txt'].id, EVE, { message: 'The plan, as promised.' });
  links.old = await share(files['old.txt'].id, EVE, { expires_in: '1h' });
  await env.waitForMail({ to: EVE, count: 2 });

  // Someone the link was forwarded to asks for access.
  const stranger = await fetch(`${env.base}/api/v1/shares/${links.plan.token}/access-requests`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: env.base },
    body: JSON.stringify({ email: CAROL, message: 'Could I see the plan too?' }),
  });
  assert.equal(stranger.status, 202);
  await env.waitForMail({ to: ADA.email, where: (m) => m.subject.includes(CAROL) });

  // A mail the relay refuses for good.
  await env.setRelay({ rcpt_reply: '550 5.1.1 Mailbox unavailable' });
  try {
    await share(files['notes.txt'].id, BOUNCE);
    await waitUntil('the invitation to fail', async () =>
      (await adminOutbox()).some((m) => m.to === BOUNCE && m.state === 'failed'),
    );
  } finally {
    await env.setRelay({ rcpt_reply: null });
  }

  // An address the admin blocked.
  await share(files['notes.txt'].id, MALLORY);
  await env.admin.ok('PATCH', `/api/v1/admin/external-identities/${encodeURIComponent(MALLORY)}`, { state: 'blocked' }, 200);
});

state('files, with items', async (seen) => {
  seen.page = member;
  await member.goto('/');
  await menuButton(member, 'plan.txt').waitFor();
  await check(member, 'files');
});

state('share dialog', async (seen) => {
  seen.page = member;
  await member.goto('/');
  await menuButton(member, 'notes.txt').click();
  await action(member, 'Share').click();
  const dialog = member.getByRole('dialog', { name: 'Share notes.txt' });
  await dialog.getByLabel('Add people').waitFor();
  await check(member, 'share-dialog', { scope: 'dialog[open]' });
  await member.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
});

state('manage access', async (seen) => {
  seen.page = member;
  await member.goto('/');
  await menuButton(member, 'plan.txt').click();
  await action(member, 'Manage access').click();
  const dialog = member.getByRole('dialog', { name: 'Who can open plan.txt' });
  await dialog.getByRole('button', { name: 'Revoke link' }).first().waitFor();
  await check(member, 'manage-access', { scope: 'dialog[open]' });
  await member.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
});

state('shared by me', async (seen) => {
  seen.page = member;
  await member.goto('/shared-by-me');
  await member.getByRole('heading', { level: 1, name: 'Shared by me' }).waitFor();
  await check(member, 'shared-by-me');
  await member.getByText('plan.txt').first().waitFor();
  await check(member, 'shared-by-me', { axe: false });
});

state('requests', async (seen) => {
  seen.page = member;
  await member.goto('/requests');
  await member.getByRole('heading', { level: 1 }).first().waitFor();
  await check(member, 'requests');
  await member.getByRole('button', { name: 'Approve' }).first().waitFor();
  await check(member, 'requests', { axe: false });
});

state('trash', async (seen) => {
  seen.page = member;
  await member.goto('/trash');
  await member.getByRole('heading', { level: 1, name: 'Trash' }).waitFor();
  await member.getByText('draft.txt').first().waitFor();
  await check(member, 'trash');
});

// ---- the admin center ----

state('admin center: sign-in, and a member who is not an admin', async (seen) => {
  admin = seen.page = await env.newPage();
  await admin.goto('/admin');
  await admin.getByRole('heading', { name: 'Sign in to the admin center' }).waitFor();
  await check(admin, 'admin-sign-in', { noSideScroll: true });

  seen.page = member;
  await member.goto('/admin');
  await member.getByText('Only administrators can open the admin center.').waitFor();
  await member.getByRole('link', { name: 'Back to my files' }).waitFor();
  await check(member, 'admin-not-an-admin');
});

const kTabs = [
  ['Policy', '/admin', (p) => p.getByRole('button', { name: 'Save policy' })],
  ['External directory', '/admin/directory', (p) => p.getByText(MALLORY).first()],
  ['External sharing report', '/admin/report', (p) => p.getByRole('link', { name: 'Download CSV' })],
  ['Outbox', '/admin/outbox', (p) => p.getByText('Mailbox unavailable').first()],
  ['Members', '/admin/members', (p) => p.getByRole('button', { name: 'Add member' })],
];

state('admin center: every tab', async (seen) => {
  seen.page = admin;
  await signIn(admin, ADMIN.email, ADMIN.password);
  await admin.getByRole('button', { name: 'Save policy' }).waitFor();
  for (const [label, path, ready] of kTabs) {
    await admin.getByRole('link', { name: label, exact: true }).click();
    await admin.waitForURL((u) => u.pathname === path);
    await ready(admin).waitFor();
    assert.equal(await admin.getByRole('link', { name: label, exact: true }).getAttribute('aria-current'), 'page');
    await check(admin, `admin-${path.split('/')[2] ?? 'policy'}`, { noSideScroll: true });
  }
});

state('admin center: every tab at 390 px', async (seen) => {
  adminPhone = seen.page = await env.newPage({ phone: true });
  await adminPhone.goto('/admin');
  await signIn(adminPhone, ADMIN.email, ADMIN.password);
  await adminPhone.getByRole('button', { name: 'Save policy' }).waitFor();
  for (const [, path, ready] of kTabs) {
    await adminPhone.goto(path);
    await ready(adminPhone).waitFor();
    await check(adminPhone, `admin-${path.split('/')[2] ?? 'policy'}-phone`, { axe: false, noSideScroll: true });
  }
  await adminPhone.context().close();
});

state('admin center: the server refuses a policy value', async (seen) => {
  seen.page = admin;
  await admin.goto('/admin');
  const period = admin.getByLabel('Reverification period');
  await period.fill('soon');
  await admin.getByRole('button', { name: 'Save policy' }).click();
  await admin.getByText(/'soon' is not a duration/).first().waitFor();
  assert.equal(await admin.evaluate(() => document.activeElement?.id), await period.getAttribute('id'), 'focus is on the field');
  assert.equal(await period.getAttribute('aria-invalid'), 'true');
  await check(admin, 'admin-policy-refused', { noSideScroll: true });
});

state('admin center: deleting an address asks first', async (seen) => {
  seen.page = admin;
  await admin.goto('/admin/directory');
  await admin.getByLabel('Search addresses').fill('partner');
  await admin.getByRole('button', { name: `Delete ${EVE}`, exact: true }).click();
  const dialog = admin.getByRole('dialog', { name: `Delete ${EVE}?` });
  await dialog.getByRole('button', { name: 'Delete address', exact: true }).waitFor();
  await check(admin, 'admin-directory-delete-dialog', { scope: 'dialog[open]' });
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
});

state('admin center: unblocking and deleting an address say what they did', async (seen) => {
  seen.page = admin;
  await admin.goto('/admin/directory');
  await admin.getByLabel('State').selectOption('blocked');
  await admin.getByRole('button', { name: `Unblock ${MALLORY}`, exact: true }).click();
  await admin.getByText(`${MALLORY} is unblocked`).waitFor();
  await admin.getByLabel('State').selectOption('all');
  await admin.getByRole('button', { name: `Delete ${BOUNCE}`, exact: true }).click();
  await admin.getByRole('dialog', { name: `Delete ${BOUNCE}?` }).getByRole('button', { name: 'Delete address' }).click();
  await admin.getByText(`${BOUNCE} was deleted from the directory`).waitFor();
  const { identities } = await env.admin.get('/api/v1/admin/external-identities');
  assert.equal(identities.find((i) => i.address === MALLORY)?.state, 'pending');
  assert.equal(identities.find((i) => i.address === BOUNCE), undefined);
  await check(admin, 'admin-directory-changed', { noSideScroll: true });
});

state('admin center: a filtered report, and the same rows as CSV', async (seen) => {
  seen.page = admin;
  await admin.goto('/admin/report');
  await admin.getByLabel('Recipient domain').fill('partner.example');
  await admin.getByLabel('Link type').selectOption('specific');
  await admin.getByRole('button', { name: 'Show report' }).click();
  await admin.waitForURL((u) => u.search === '?domain=partner.example&kind=specific');
  await admin.getByText('2 ways in from outside match these filters.').waitFor();
  const csv = admin.getByRole('link', { name: 'Download CSV' });
  assert.equal(await csv.getAttribute('href'), '/api/v1/admin/reports/external-sharing?domain=partner.example&kind=specific&format=csv');
  const [download] = await Promise.all([admin.waitForEvent('download'), csv.click()]);
  assert.match(download.suggestedFilename(), /^external-sharing-.*\.csv$/);
  const lines = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
  assert.match(lines[0], /^"item_id","item_name",/); // every text field quoted
  assert.equal(lines.length, 3, 'a header and the two rows for eve@partner.example');
  assert.ok(lines.slice(1).every((l) => l.includes(EVE)));
  await check(admin, 'admin-report-filtered', { noSideScroll: true });
});

state('admin center: a report filter the server refuses', async (seen) => {
  seen.page = admin;
  await admin.goto('/admin/report');
  await admin.getByLabel('Shared by').fill('nobody@example.org');
  await admin.getByRole('button', { name: 'Show report' }).click();
  await admin.getByText(/no member has the address nobody@example\.org/i).waitFor();
  assert.equal(await admin.evaluate(() => document.activeElement?.id), 'report-owner');
  await check(admin, 'admin-report-refused', { noSideScroll: true });
});

state('admin center: adding a member', async (seen) => {
  seen.page = admin;
  await admin.goto('/admin/members');
  await admin.getByRole('button', { name: 'Add member', exact: true }).click();
  const dialog = admin.getByRole('dialog', { name: 'Add member' });
  await dialog.getByLabel('Email address').waitFor();
  await check(admin, 'admin-members-add', { scope: 'dialog[open]' });
  await dialog.getByLabel('Email address').fill('grace@example.org');
  await dialog.getByLabel('Display name').fill('Grace Hopper');
  await dialog.getByLabel('Password').fill('Grace-passw0rd-long');
  await dialog.getByRole('button', { name: 'Add member', exact: true }).click();
  await admin.getByText(/Added Grace Hopper \(grace@example\.org\) as a member/).waitFor();
  await admin.getByRole('rowheader', { name: 'Grace Hopper' }).waitFor();
  await check(admin, 'admin-members-added', { noSideScroll: true });
});

state('admin center: resetting a password shows it once', async (seen) => {
  seen.page = admin;
  await admin.getByRole('button', { name: 'Reset password of Grace Hopper' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Reset the password of Grace Hopper' });
  await dialog.getByRole('button', { name: 'Reset password', exact: true }).click();
  const shown = dialog.getByLabel('New password');
  await shown.waitFor();
  assert.ok((await shown.inputValue()).length >= 8);
  await dialog.getByRole('button', { name: 'Copy password' }).waitFor();
  await check(admin, 'admin-members-password-reset', { scope: 'dialog[open]' });
  await dialog.getByRole('button', { name: 'Done' }).click();
});

state('admin center: disabling and enabling an account', async (seen) => {
  seen.page = admin;
  await admin.getByRole('button', { name: 'Disable Grace Hopper', exact: true }).click();
  const dialog = admin.getByRole('dialog', { name: 'Disable Grace Hopper?' });
  await dialog.getByRole('button', { name: 'Disable account' }).click();
  await admin.getByText(/Grace Hopper’s account is disabled/).waitFor();
  const grace = () => env.admin.get('/api/v1/admin/users').then((r) => r.users.find((u) => u.email === 'grace@example.org'));
  assert.equal((await grace()).disabled, true);
  await check(admin, 'admin-members-disabled', { noSideScroll: true });
  await admin.getByRole('button', { name: 'Enable Grace Hopper', exact: true }).click();
  await admin.getByText(/Grace Hopper’s account is enabled/).waitFor();
  assert.equal((await grace()).disabled, false);
});

// ---- the recipient's pages (phone) ----

state('recipient: the address', async (seen) => {
  const [mail] = await env.waitForMail({ to: EVE, where: (m) => m.text.includes(`/s/${links.plan.token}`) });
  recipient = seen.page = await env.newPage({ phone: true });
  await recipient.goto(shareUrlOf(mail));
  await recipient.getByRole('button', { name: 'Send code' }).waitFor();
  await recipient.getByLabel('Your email address').waitFor();
  await check(recipient, 'recipient-address', { noSideScroll: true });
});

state('recipient: code sent', async (seen) => {
  seen.page = recipient;
  const seenMail = (await env.messages()).length;
  const field = recipient.getByLabel('Your email address');
  if ((await field.inputValue()) !== EVE) await field.fill(EVE);
  await recipient.getByRole('button', { name: 'Send code' }).click();
  await recipient.getByLabel('Code from the email').waitFor();
  await recipient.getByRole('button', { name: 'Resend code' }).waitFor();
  await check(recipient, 'recipient-code-sent', { noSideScroll: true });
  const mail = await waitUntil('the code', async () =>
    (await env.messages()).slice(seenMail).find((m) => m.to.includes(EVE) && /code/i.test(m.subject)),
  );
  await recipient.getByLabel('Code from the email').fill(codeOf(mail));
});

state('recipient: open', async (seen) => {
  seen.page = recipient;
  await recipient.getByRole('button', { name: 'Open', exact: true }).click();
  await recipient.getByRole('heading', { level: 1, name: 'plan.txt' }).waitFor();
  await check(recipient, 'recipient-open', { noSideScroll: true });
});

state('recipient: unknown link', async (seen) => {
  const page = (seen.page = await env.newPage({ phone: true }));
  await page.goto('/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  await page.getByText(/doesn.t exist or was typed incorrectly/).waitFor();
  await check(page, 'recipient-unknown', { noSideScroll: true });
});

// Last: it moves the clock.
state('recipient: expired link', async (seen) => {
  seen.page = recipient;
  await env.advanceClock('2h');
  const [mail] = await env.waitForMail({ to: EVE, where: (m) => m.text.includes(`/s/${links.old.token}`) });
  await recipient.goto(shareUrlOf(mail));
  await recipient.getByText(/This link (has )?expired/).first().waitFor();
  await check(recipient, 'recipient-expired', { noSideScroll: true });
});
