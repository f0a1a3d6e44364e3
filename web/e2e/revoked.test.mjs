// The owner revokes a link in Manage access while the recipient has the item open: the
// recipient's next action shows that the sharing stopped, with "Request access".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEnv } from './support/env.mjs';
import { heading, mailCount, ownerOf, PASSWORD, shareWith, upload, verifyInBrowser, waitForNew } from './support/recipient.mjs';

const EVE = 'eve@partner.example';
let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('a revoked link ends access at the next action and offers a request', async () => {
  const owner = await ownerOf(env);
  const file = await upload(owner.api, owner.root, 'budget.csv', Buffer.from('year,amount\n2026,100\n'));
  const { url } = await shareWith(env, owner.api, file.id, EVE);

  const eve = await env.newPage({ phone: true });
  await eve.goto(url);
  await verifyInBrowser(env, eve, EVE);
  await heading(eve, 'budget.csv');
  await eve.getByRole('link', { name: 'Download' }).waitFor();
  await env.shot(eve, 'open-before-revoke');
  await env.axe(eve, 'open before revoke');

  // The owner revokes it in the member pages.
  const ada = await env.newPage();
  await ada.goto('/');
  await ada.getByLabel('Email address').fill(owner.email);
  await ada.getByLabel('Password').fill(PASSWORD);
  await ada.getByRole('button', { name: 'Sign in' }).click();
  await ada.getByRole('button', { name: 'Actions for budget.csv' }).click();
  await ada.getByRole('button', { name: 'Manage access' }).click();
  const dialog = ada.getByRole('dialog', { name: 'Who can open budget.csv' });
  await dialog.getByRole('button', { name: 'Revoke link' }).waitFor();
  await env.shot(ada, 'owner-manage-access');
  await env.axe(ada, 'owner manage access');
  await dialog.getByRole('button', { name: 'Revoke link' }).click();
  await dialog.getByRole('button', { name: 'Revoke now' }).click();
  await dialog.getByText(/revoked/i).first().waitFor();
  const links = (await owner.api.get(`/api/v1/items/${file.id}/access`)).links;
  assert.ok(links.every((l) => l.state === 'revoked'), 'the API reports the link revoked');

  // Eve's next action: the download is not served, the page says what happened.
  await eve.getByRole('link', { name: 'Download' }).click();
  await heading(eve, 'Ada Lovelace stopped sharing this with you.');
  assert.equal(await eve.getByText('year,amount').count(), 0);
  await env.assertNoHorizontalScroll(eve);
  await env.shot(eve, 'revoked');
  await env.axe(eve, 'revoked');

  // And the way forward works.
  await eve.getByRole('button', { name: 'Request access' }).click();
  await eve.getByLabel('Your email address').fill(EVE);
  await eve.getByLabel('Message to the owner').fill('I still need the budget for Friday.');
  const seen = await mailCount(env);
  await eve.getByRole('button', { name: 'Send request' }).click();
  await heading(eve, 'Request sent');
  await env.shot(eve, 'request-sent');
  await env.axe(eve, 'request sent');
  await waitForNew(env, seen, (m) => m.to.includes(owner.email));

  // Opening the link again later says the same.
  await eve.goto(url);
  await heading(eve, 'Ada Lovelace stopped sharing this with you.');
  await eve.getByRole('button', { name: 'Request access' }).waitFor();
});

test('a removed recipient and a blocked address each see what happened and what they can do', async () => {
  await env.admin.ok(
    'PATCH',
    '/api/v1/admin/settings',
    { organization_name: 'Example Corp', organization_contact: 'it-help@example.org' },
    200,
  );
  const owner = await ownerOf(env, 'grace@example.org', 'Grace Hopper');
  const one = await upload(owner.api, owner.root, 'one.txt', Buffer.from('one\n'));
  const two = await upload(owner.api, owner.root, 'two.txt', Buffer.from('two\n'));
  const MAY = 'may@partner.example';
  const first = await shareWith(env, owner.api, one.id, MAY);
  const second = await shareWith(env, owner.api, two.id, MAY);
  const page = await env.newPage({ phone: true });
  await page.goto(first.url);
  await verifyInBrowser(env, page, MAY);
  await heading(page, 'one.txt');

  // Removed from the first link: the next visit says so and offers a request as May.
  await owner.api.ok('DELETE', `/api/v1/links/${first.link.id}/recipients/${encodeURIComponent(MAY)}`);
  await page.reload();
  await heading(page, 'Grace Hopper stopped sharing this with you.');
  await page.getByRole('button', { name: 'Request access' }).click();
  assert.equal(await page.getByLabel('Your email address').inputValue(), MAY);
  await env.shot(page, 'removed');
  await env.axe(page, 'removed');

  // Blocked by an admin: no code form, the organization's contact instead.
  await env.admin.ok('PATCH', `/api/v1/admin/external-identities/${encodeURIComponent(MAY)}`, { state: 'blocked' }, 200);
  await page.goto(second.url);
  await heading(page, 'Access for this address has been turned off by the organization.');
  await page.getByRole('link', { name: 'it-help@example.org' }).waitFor();
  assert.equal(await page.getByLabel('Code from the email').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Send code' }).count(), 0);
  assert.equal(await page.getByText('two\n').count(), 0);
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'blocked');
  await env.axe(page, 'blocked');
});
