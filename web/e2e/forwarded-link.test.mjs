// An invitation forwarded to someone else gives them nothing: typing their own address sends no
// code to it and never shows the content. They ask for access; the owner approves in the member
// pages; the new invitation lets them in with their own code.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEnv } from './support/env.mjs';
import {
  heading,
  mailCount,
  ownerOf,
  PASSWORD,
  shareWith,
  upload,
  verifyInBrowser,
  waitForNew,
} from './support/recipient.mjs';

const EVE = 'eve@partner.example';
const MAL = 'mallory@elsewhere.example';
let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('a forwarded link gives nothing until the owner approves a request', async () => {
  const owner = await ownerOf(env);
  const secret = Buffer.from('Board minutes: only for Eve.\n');
  const file = await upload(owner.api, owner.root, 'minutes.txt', secret);
  const invitation = await shareWith(env, owner.api, file.id, EVE);

  // Mallory got the email forwarded and opens it on her phone.
  const mal = await env.newPage({ phone: true });
  await mal.goto(invitation.url);
  await heading(mal, /shared minutes\.txt with you/);
  await mal.getByLabel('Your email address').fill(MAL);
  const seen = await mailCount(env);
  await mal.getByRole('button', { name: 'Send code' }).click();
  // The page answers as it would for anyone (no enumeration) ...
  await heading(mal, 'Check your email');
  await env.shot(mal, 'code-asked-by-someone-else');
  await env.axe(mal, 'code asked by someone else');

  // ... but no code goes to her address: a later mail (a fence) arrives, and none to Mallory.
  const fenceFile = await upload(owner.api, owner.root, 'fence.txt', Buffer.from('fence'));
  await shareWith(env, owner.api, fenceFile.id, 'fence@partner.example');
  const later = (await env.messages()).slice(seen);
  assert.ok(later.some((m) => m.to.includes('fence@partner.example')), 'the fence mail arrived');
  assert.deepEqual(
    later.filter((m) => m.to.includes(MAL)).map((m) => m.subject),
    [],
    'no mail to the forwarded-to address',
  );

  // A guessed code does not open it, and the content is never on the page.
  await mal.getByLabel('Code from the email').fill('12345678');
  await mal.getByRole('button', { name: 'Open', exact: true }).click();
  await mal.getByText(/That code isn't right/).waitFor();
  assert.equal(await mal.getByText('Board minutes').count(), 0);

  // She asks for access.
  await mal.getByRole('button', { name: 'Request access' }).click();
  assert.equal(await mal.getByLabel('Your email address').inputValue(), MAL);
  await mal.getByLabel('Message to the owner').fill('Eve forwarded this to me, I take the minutes now.');
  await env.shot(mal, 'request-access');
  await env.axe(mal, 'request access form');
  const beforeRequest = await mailCount(env);
  await mal.getByRole('button', { name: 'Send request' }).click();
  await heading(mal, 'Request sent');
  await mal.getByText(/We told Ada Lovelace\. You'll get an email/).waitFor();
  await env.assertNoHorizontalScroll(mal);
  await env.shot(mal, 'request-sent');
  await env.axe(mal, 'request sent');
  await waitForNew(env, beforeRequest, (m) => m.to.includes(owner.email));
  assert.equal(await mal.getByText('Board minutes').count(), 0);

  // The owner approves on the Requests page.
  const ada = await env.newPage();
  await ada.goto('/');
  await ada.getByLabel('Email address').fill(owner.email);
  await ada.getByLabel('Password').fill(PASSWORD);
  await ada.getByRole('button', { name: 'Sign in' }).click();
  await ada.getByRole('link', { name: 'Requests' }).click();
  const request = ada.locator('li', { hasText: MAL });
  await request.getByText(/I take the minutes now/).waitFor();
  await env.shot(ada, 'owner-requests');
  await env.axe(ada, 'owner requests');
  const beforeApproval = await mailCount(env);
  await request.getByRole('button', { name: /^Approve/ }).click();
  await ada.getByText(new RegExp(`Approved: ${MAL.replace(/\./g, '\\.')}`)).waitFor();

  // Mallory's own invitation lets her in with her own code.
  const mail = await waitForNew(env, beforeApproval, (m) => m.to.includes(MAL) && /shared/i.test(m.subject));
  const url = /https?:\/\/[^\s<>"']+\/s\/[A-Za-z0-9_-]+(\?[^\s<>"']*)?/.exec(mail.text)?.[0];
  assert.ok(url, 'the invitation carries a link');
  await mal.goto(url);
  await verifyInBrowser(env, mal, MAL);
  await heading(mal, 'minutes.txt');
  await mal.getByText('Board minutes: only for Eve.').waitFor();
  await env.shot(mal, 'approved-open');
  await env.axe(mal, 'approved and open');
});
