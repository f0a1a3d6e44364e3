// Coming back without a link. An invitation that went astray is sent again from manage access;
// the new email cannot carry the link's token, so it opens `/shared/{link_id}?email=…`: there the
// recipient, on a phone and not signed in, confirms the prefilled address with a code and the file
// opens. A browser signed in as someone the link is not shared with is told so and offered another
// address or sign-out. And at the front door, someone outside signs in with an email code.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { heading, mailCount, ownerOf, PASSWORD, shareWith, upload, waitForNew } from './support/recipient.mjs';
import { codeOf, startEnv } from './support/env.mjs';

const EVE = 'eve@partner.example';
const BOB = 'bob@elsewhere.example';
let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('a resent invitation opens with a code for the prefilled address', async () => {
  const owner = await ownerOf(env);
  const file = await upload(owner.api, owner.root, 'contract.txt', Buffer.from('Signed contract for Eve.\n'));
  const { link } = await shareWith(env, owner.api, file.id, EVE);

  // The owner sends the invitation again from manage access.
  const ada = await env.newPage();
  await ada.goto('/');
  await ada.getByLabel('Email address').fill(owner.email);
  await ada.getByLabel('Password').fill(PASSWORD);
  await ada.getByRole('button', { name: 'Sign in' }).click();
  await ada.getByRole('button', { name: 'Actions for contract.txt' }).click();
  await ada
    .getByRole('menuitem', { name: 'Manage access', exact: true })
    .or(ada.getByRole('button', { name: 'Manage access', exact: true }))
    .first()
    .click();
  const dialog = ada.getByRole('dialog', { name: 'Who can open contract.txt' });
  const seen = await mailCount(env);
  await dialog.getByRole('button', { name: `Resend invitation to ${EVE}` }).click();
  await dialog.getByText(`The invitation to ${EVE} is being sent again.`).waitFor();
  const resent = await waitForNew(env, seen, (m) => m.to.includes(EVE) && m.text.includes(`/shared/${link.id}`));
  const url = /https?:\/\/[^\s<>"']+\/shared\/\d+\?email=[^\s<>"']+/.exec(resent.text)?.[0];
  assert.ok(url, `the resent invitation links to the link's page: ${resent.text}`);
  assert.ok(!resent.text.includes(link.token), 'the token is not in the resent invitation');

  // Eve opens it on her phone, signed in nowhere: her address is already typed.
  const eve = await env.newPage({ phone: true });
  await eve.goto(url);
  await heading(eve, 'Confirm your email address to open what was shared with you');
  assert.equal(await eve.getByLabel('Your email address').inputValue(), EVE);
  assert.equal(await eve.getByText('Signed contract').count(), 0, 'nothing of the file before the code');
  await env.assertNoHorizontalScroll(eve);
  await env.shot(eve, 'resent-sign-in');
  await env.axe(eve, 'resent invitation: sign in with a code');

  const beforeCode = await mailCount(env);
  await eve.getByRole('button', { name: 'Send code' }).click();
  await heading(eve, 'Check your email');
  await eve.getByText('e**@partner.example').first().waitFor();
  const mail = await waitForNew(env, beforeCode, (m) => m.to.includes(EVE) && /sign-in code/i.test(m.subject));
  await eve.getByLabel('Code from the email').fill(codeOf(mail));
  await eve.getByLabel(/Remember this device for 30 days/).check();
  await env.shot(eve, 'resent-code');
  await eve.getByRole('button', { name: 'Open', exact: true }).click();
  await heading(eve, 'contract.txt');
  await eve.getByText('Signed contract for Eve.').waitFor();
  await env.shot(eve, 'resent-open');
  await env.axe(eve, 'resent invitation: open');

  // Signed in as Eve now, she opens a link shared only with Bob: the page says whose it is not.
  const { link: other } = await shareWith(env, owner.api, file.id, BOB);
  await eve.goto(`/shared/${other.id}`);
  await heading(eve, `This isn't shared with ${EVE}`);
  assert.equal(await eve.getByText('Signed contract').count(), 0);
  await env.shot(eve, 'resent-not-this-address');
  await env.axe(eve, 'shared page: not shared with this address');
  await eve.getByRole('button', { name: 'Continue with another address' }).click();
  await heading(eve, 'Confirm your email address to open what was shared with you');
  assert.equal(await eve.getByLabel('Your email address').inputValue(), '', 'another address starts empty');
});

test('someone outside signs in at the front door with an email code and sees what was shared', async () => {
  const owner = await ownerOf(env, 'bea@example.org', 'Bea Sharer');
  const file = await upload(owner.api, owner.root, 'brief.txt', Buffer.from('The brief.\n'));
  await shareWith(env, owner.api, file.id, EVE);

  const eve = await env.newPage({ phone: true });
  await eve.goto('/');
  await eve.getByRole('heading', { level: 1, name: 'Sign in to Vestibule' }).waitFor();
  await eve.getByRole('button', { name: 'Get a code by email' }).click();
  await eve.getByRole('heading', { level: 1, name: 'Sign in with an email code' }).waitFor();
  await eve.getByLabel('Your email address').fill(EVE);
  await env.shot(eve, 'front-door-code');
  await env.axe(eve, 'front door: sign in with an email code');
  const seen = await mailCount(env);
  await eve.getByRole('button', { name: 'Send code' }).click();
  await heading(eve, 'Check your email');
  const mail = await waitForNew(env, seen, (m) => m.to.includes(EVE) && /sign-in code/i.test(m.subject));
  await eve.getByLabel('Code from the email').fill(codeOf(mail));
  await eve.getByRole('button', { name: 'Open', exact: true }).click();
  await eve.getByRole('heading', { level: 1, name: 'Shared with me' }).waitFor();
  await eve.getByText('brief.txt').first().waitFor();
  await env.assertNoHorizontalScroll(eve);
  await env.shot(eve, 'front-door-shared-with-me');
});
