// An admin promotes an outside address to guest; the guest signs in at `/` with a code from the
// mail sink and lands on what is shared with it; the admin opens the address's view in the admin
// center (what it can reach, aliases), revokes all, and the guest's next action is refused. Ending
// an address's guest access signs it out at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, codeOf, startEnv } from './support/env.mjs';
import { heading, mailCount, ownerOf, shareWith, upload, waitForNew } from './support/recipient.mjs';

const GIA = 'gia@partner.example';
const HAL = 'hal@partner.example';
let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

// A phone browser that signed in at `/` with a code mailed to `address`, on "Shared with me".
async function guestSignedIn(address) {
  const page = await env.newPage({ phone: true });
  await page.goto('/');
  await page.getByRole('heading', { level: 1, name: 'Sign in to Vestibule' }).waitFor();
  await page.getByRole('button', { name: 'Get a code by email' }).click();
  await page.getByLabel('Your email address').fill(address);
  const seen = await mailCount(env);
  await page.getByRole('button', { name: 'Send code' }).click();
  await heading(page, 'Check your email');
  const mail = await waitForNew(env, seen, (m) => m.to.includes(address) && /sign-in code/i.test(m.subject));
  await page.getByLabel('Code from the email').fill(codeOf(mail));
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await heading(page, 'Shared with me');
  return page;
}

async function adminPage(phone = false) {
  const page = await env.newPage({ phone });
  await page.goto('/admin/directory');
  await page.getByLabel('Email address').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 2, name: 'External directory' }).waitFor();
  return page;
}

test('a promoted guest signs in with a code, sees its share, and revoke all ends it', async () => {
  const owner = await ownerOf(env);
  const file = await upload(owner.api, owner.root, 'plan.txt', Buffer.from('The partner plan.\n'));
  const { link } = await shareWith(env, owner.api, file.id, GIA);

  // The admin promotes the pending address in the external directory.
  const admin = await adminPage();
  await admin.getByRole('button', { name: `Promote to guest ${GIA}` }).click();
  await admin.getByText(`${GIA} is now a guest`).waitFor();
  await admin.getByLabel('State').selectOption('guest');
  await admin.getByRole('link', { name: new RegExp(GIA) }).waitFor();
  await env.shot(admin, 'directory-desktop');
  await env.axe(admin, 'external directory');
  const adminPhone = await adminPage(true);
  await env.assertNoHorizontalScroll(adminPhone);
  await env.shot(adminPhone, 'directory-phone');

  // The guest signs in at the front door with a code and lands on what is shared with it.
  const gia = await guestSignedIn(GIA);
  await gia.getByText(/You are a guest of the organization/).waitFor();
  const entry = gia.getByRole('link', { name: 'plan.txt' });
  await entry.waitFor();
  const me = await gia.evaluate(async () => (await fetch('/api/v1/me')).json());
  assert.equal(me.kind, 'guest');
  await env.assertNoHorizontalScroll(gia);
  await env.shot(gia, 'guest-home-phone');
  await env.axe(gia, 'guest home');
  const giaDesktop = await env.newPage();
  await giaDesktop.context().addCookies(await gia.context().cookies());
  await giaDesktop.goto('/');
  await heading(giaDesktop, 'Shared with me');
  await giaDesktop.getByRole('link', { name: 'plan.txt' }).waitFor();
  await env.shot(giaDesktop, 'guest-home-desktop');

  // The admin opens the address: what it reaches, an alias, then revoke all.
  await admin.getByRole('link', { name: new RegExp(GIA) }).click();
  await admin.getByRole('heading', { level: 3, name: GIA }).waitFor();
  const reach = admin.getByRole('region', { name: 'What this address can open' });
  await reach.getByText('plan.txt').waitFor();
  await reach.getByText(`Specific link #${link.id}`).waitFor();
  await admin.getByLabel('Add an alias').fill('gia.home@mail.example');
  await admin.getByRole('button', { name: 'Add alias' }).click();
  await admin.getByText('gia.home@mail.example is now an alias').waitFor();
  await env.shot(admin, 'address-desktop');
  await env.axe(admin, 'address view');
  await adminPhone.goto(`/admin/directory/${encodeURIComponent(GIA)}`);
  await adminPhone.getByRole('heading', { level: 3, name: GIA }).waitFor();
  await env.assertNoHorizontalScroll(adminPhone);
  await env.shot(adminPhone, 'address-phone');

  await admin.getByRole('button', { name: `Revoke all access of ${GIA}` }).click();
  const dialog = admin.getByRole('dialog', { name: `Revoke all access of ${GIA}?` });
  await dialog.getByText(/will be removed from 1 link/).waitFor();
  await env.shot(admin, 'revoke-all-confirm');
  await dialog.getByRole('button', { name: 'Revoke all', exact: true }).click();
  await admin.getByText(/can open nothing any more: removed from 1 link/).waitFor();
  await admin.getByText(/This address can open nothing right now/).waitFor();
  await env.shot(admin, 'revoke-all-done');
  const record = await env.admin.get(`/api/v1/admin/external-identities/${encodeURIComponent(GIA)}`);
  assert.deepEqual(record.reach, []);
  assert.deepEqual(record.aliases, ['gia.home@mail.example']);

  // The guest's next action is refused: the item does not open, the page asks for a code again.
  await entry.click();
  await heading(gia, 'Confirm your email address to open what was shared with you');
  assert.equal(await gia.getByText('The partner plan.').count(), 0);
  const after = await gia.evaluate(async () => (await fetch('/api/v1/me')).status);
  assert.equal(after, 401);
  await env.shot(gia, 'guest-after-revoke');
});

test('ending guest access signs the guest out at once and says so', async () => {
  const owner = await ownerOf(env, 'bea@example.org', 'Bea Sharer');
  const file = await upload(owner.api, owner.root, 'terms.txt', Buffer.from('Partner terms.\n'));
  await shareWith(env, owner.api, file.id, HAL);
  const admin = await adminPage();
  await admin.getByRole('button', { name: `Promote to guest ${HAL}` }).click();
  await admin.getByText(`${HAL} is now a guest`).waitFor();
  const hal = await guestSignedIn(HAL);
  await hal.getByRole('link', { name: 'terms.txt' }).waitFor();

  await admin.reload();
  await admin.getByRole('button', { name: `End guest access of ${HAL}` }).click();
  await admin.getByText(`${HAL} is no longer a guest: it was signed out everywhere`).waitFor();
  await admin.getByRole('button', { name: `Promote to guest ${HAL}` }).waitFor();
  await env.shot(admin, 'guest-access-ended');
  await env.axe(admin, 'guest access ended');
  const record = await env.admin.get(`/api/v1/admin/external-identities/${encodeURIComponent(HAL)}`);
  assert.equal(record.state, 'verified');

  // The guest's very next request is refused.
  const status = await hal.evaluate(async () => (await fetch('/api/v1/me')).status);
  assert.equal(status, 401);
});
