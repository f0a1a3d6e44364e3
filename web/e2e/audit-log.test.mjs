// An admin reads the audit log: a policy change made in the admin center appears at the top with
// who made it, from where, and the old and new value; filtering by event narrows the list; the
// check says in words that the log is intact; erasing an outside address asks first, then says
// what happened, and the log is still intact.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, startEnv } from './support/env.mjs';

let env;

before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('an admin finds a change in the audit log, checks the chain and erases an address', async () => {
  const ada = await env.addMember('grace@example.org', 'Member-passw0rd-for-tests', 'Grace Hopper', 'user');
  const { spaces } = await ada.get('/api/v1/spaces');
  const root = spaces.find((s) => s.kind === 'personal').root_item_id;
  const file = await ada.ok('PUT', `/api/v1/items/${root}/files/plan.txt`, 'the plan\n', [201]);
  await ada.post(`/api/v1/items/${file.id}/links`, {
    kind: 'specific',
    role: 'view',
    recipients: ['zoe@partner.example'],
  });

  const admin = await env.newPage();
  await admin.goto('/admin');
  await admin.getByLabel('Email address').fill(ADMIN.email);
  await admin.getByLabel('Password').fill(ADMIN.password);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  const period = admin.getByLabel('Reverification period');
  await period.waitFor();
  await period.fill('12h');
  await admin.getByRole('button', { name: /^Save/ }).click();
  await admin.getByText(/saved|in force/i).first().waitFor();

  await admin.getByRole('link', { name: 'Audit log' }).click();
  await admin.getByRole('heading', { name: 'Audit log' }).waitFor();
  const changed = admin.getByRole('row').filter({ hasText: 'settings.changed' }).first();
  await changed.waitFor();
  const text = await changed.innerText();
  assert.match(text, new RegExp(ADMIN.email.replace('.', '\\.')));
  assert.match(text, /127\.0\.0\.1/);
  assert.match(text, /reverify_after: "30d" → "12h"/);

  await admin.getByLabel('Event').fill('link.');
  await admin.getByRole('button', { name: 'Show', exact: true }).click();
  await admin.getByRole('row').filter({ hasText: 'link.created' }).first().waitFor();
  await admin.getByRole('row').filter({ hasText: 'settings.changed' }).first().waitFor({ state: 'detached' });

  await admin.getByRole('button', { name: 'Check the log is intact' }).click();
  await admin.getByText('The audit log is intact.').waitFor();
  await env.shot(admin, 'admin-audit-log');
  await env.axe(admin, 'the audit log');

  await admin.getByLabel('Email address').fill('zoe@partner.example');
  await admin.getByRole('button', { name: 'Erase…' }).click();
  const dialog = admin.getByRole('dialog');
  await dialog.getByText(/cannot be undone/).waitFor();
  await env.shot(admin, 'admin-audit-erase-confirm');
  await dialog.getByRole('button', { name: 'Erase personal data' }).click();
  await admin.getByText(/The personal data of zoe@partner\.example is erased/).waitFor();
  await admin.getByRole('button', { name: 'Check the log is intact' }).click();
  await admin.getByText('The audit log is intact.').waitFor();

  const phone = await env.newPage({ phone: true });
  await phone.context().addCookies(await admin.context().cookies());
  await phone.goto('/admin/audit');
  await phone.getByRole('heading', { name: 'Audit log' }).waitFor();
  await env.assertNoHorizontalScroll(phone);
  await env.shot(phone, 'admin-audit-log-phone');
});
