// The link's other states, each with its next step: an unknown link, an expired link (request
// access sends), a browser signed in as someone else ("Continue with another address" starts
// verification, "Request access" sends), and reverification due after the period has passed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEnv } from './support/env.mjs';
import {
  codeAfter,
  heading,
  mailCount,
  ownerOf,
  shareWith,
  upload,
  verifyInBrowser,
  waitForNew,
} from './support/recipient.mjs';

const EVE = 'eve@partner.example';
const BOB = 'bob@partner.example';
let env;
let owner;
before(async () => {
  env = await startEnv();
  owner = await ownerOf(env);
});
after(async () => {
  await env?.stop();
});

test('an unknown link says so and nothing else', async () => {
  const page = await env.newPage({ phone: true });
  await page.goto('/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  await heading(page, "This link doesn't exist or was typed incorrectly.");
  const main = page.locator('main');
  assert.equal(await main.getByRole('button').count(), 0);
  assert.equal(await main.getByRole('textbox').count(), 0);
  assert.doesNotMatch(await main.innerText(), /expired|revoked|stopped sharing|shared by/i);
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'unknown');
  await env.axe(page, 'unknown link');
});

test('signed in as someone else: continue with another address, or request access', async () => {
  const forEve = await upload(owner.api, owner.root, 'eve.txt', Buffer.from('for Eve\n'));
  const forBob = await upload(owner.api, owner.root, 'bob.txt', Buffer.from('for Bob only\n'));
  const eveLink = await shareWith(env, owner.api, forEve.id, EVE);
  const bobLink = await shareWith(env, owner.api, forBob.id, BOB);

  const page = await env.newPage({ phone: true });
  await page.goto(eveLink.url);
  await verifyInBrowser(env, page, EVE);
  await heading(page, 'eve.txt');

  // Bob's invitation, opened in Eve's browser.
  await page.goto(bobLink.url);
  await heading(page, 'This was shared with someone else');
  await page.getByText(`You're signed in as ${EVE}, but this was shared with someone else.`).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'signed-in-as-someone-else');
  await env.axe(page, 'signed in as someone else');

  // "Request access" (as Eve) sends.
  await page.getByRole('button', { name: 'Request access' }).click();
  assert.equal(await page.getByLabel('Your email address').inputValue(), EVE);
  const seen = await mailCount(env);
  await page.getByRole('button', { name: 'Send request' }).click();
  await heading(page, 'Request sent');
  await waitForNew(env, seen, (m) => m.to.includes(owner.email));
  await env.shot(page, 'someone-else-request-sent');
  await env.axe(page, 'request sent as someone else');

  // "Continue with another address" starts verification here.
  await page.goto(bobLink.url);
  await page.getByRole('button', { name: 'Continue with another address' }).click();
  const field = page.getByLabel('Your email address');
  await field.waitFor();
  assert.equal(await field.inputValue(), '');
  await env.shot(page, 'continue-with-another-address');
  await env.axe(page, 'continue with another address');
  await verifyInBrowser(env, page, BOB);
  await heading(page, 'bob.txt');
  await page.getByText('for Bob only').waitFor();
});

test('a code typed wrong too often, and too many codes asked for: each says what to do next', async () => {
  const before = await env.admin.get('/api/v1/admin/settings');
  await env.admin.ok('PATCH', '/api/v1/admin/settings', { code_max_tries: 2, code_sends_per_link_per_hour: 3 }, 200);
  try {
    const file = await upload(owner.api, owner.root, 'draft.txt', Buffer.from('draft\n'));
    const { url } = await shareWith(env, owner.api, file.id, EVE);
    const page = await env.newPage({ phone: true });
    await page.goto(url);
    await page.getByLabel('Your email address').fill(EVE);
    await page.getByRole('button', { name: 'Send code' }).click();
    await heading(page, 'Check your email');
    // Wrong until the server says the code is burnt.
    const burnt = page.getByRole('heading', { level: 1, name: 'This code can no longer be used.' });
    for (let i = 0; i < 4 && !(await burnt.isVisible()); i++) {
      await page.getByLabel('Code from the email').fill('00000000');
      await page.getByRole('button', { name: 'Open', exact: true }).click();
      await page.getByText(/That code isn't right/).or(burnt).first().waitFor();
    }
    await burnt.waitFor();
    await env.shot(page, 'code-burnt');
    await env.axe(page, 'code burnt');
    const seen = await mailCount(env);
    await page.getByRole('button', { name: 'Send a new code' }).click();
    await heading(page, 'Check your email');
    await codeAfter(env, EVE, seen);

    // Asking again and again from this browser: the page says until when, and offers a request.
    for (let i = 0; i < 3; i++) {
      const throttled = page.getByRole('heading', { level: 1, name: 'Too many codes were asked for' });
      if (await throttled.isVisible()) break;
      await page.getByRole('button', { name: 'Use a different address' }).click();
      await page.getByLabel('Your email address').fill(EVE);
      await page.getByRole('button', { name: 'Send code' }).click();
      await page.getByRole('heading', { level: 1, name: /Check your email|Too many codes were asked for/ }).waitFor();
    }
    await heading(page, 'Too many codes were asked for');
    await page.getByText(/You can ask again at \d\d:\d\d\./).waitFor();
    await page.getByText(/You can ask again in \d+:\d\d/).waitFor();
    await env.assertNoHorizontalScroll(page);
    await env.shot(page, 'too-many-requests');
    await env.axe(page, 'too many requests');
    await page.getByRole('button', { name: 'Request access' }).click();
    await page.getByRole('button', { name: 'Send request' }).click();
    await heading(page, 'Request sent');
  } finally {
    await env.admin.ok(
      'PATCH',
      '/api/v1/admin/settings',
      { code_max_tries: before.code_max_tries, code_sends_per_link_per_hour: before.code_sends_per_link_per_hour },
      200,
    );
  }
});

test('an expired link says when it expired and takes a request', async () => {
  const file = await upload(owner.api, owner.root, 'offer.txt', Buffer.from('offer\n'));
  const { url } = await shareWith(env, owner.api, file.id, EVE, { expires_in: '2d' });
  await env.advanceClock('3d');
  const page = await env.newPage({ phone: true });
  await page.goto(url);
  await heading(page, /^This link expired on \d{1,2}\s[A-Z][a-z]{2}(\s\d{4})?\.$/);
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'expired');
  await env.axe(page, 'expired');
  await page.getByRole('button', { name: 'Request access' }).click();
  await page.getByLabel('Your email address').fill(EVE);
  await page.getByLabel('Message to the owner').fill('The offer expired before I could read it.');
  await env.shot(page, 'expired-request-form');
  await env.axe(page, 'expired request form');
  const seen = await mailCount(env);
  await page.getByRole('button', { name: 'Send request' }).click();
  await heading(page, 'Request sent');
  await page.getByText(/We told Ada Lovelace/).waitFor();
  await waitForNew(env, seen, (m) => m.to.includes(owner.email));
  await env.shot(page, 'expired-request-sent');
  await env.axe(page, 'expired request sent');
});

test('reverification is due after the period: a code to the same address opens it again', async () => {
  const file = await upload(owner.api, owner.root, 'contract.txt', Buffer.from('the contract\n'));
  const { url } = await shareWith(env, owner.api, file.id, EVE);
  const page = await env.newPage({ phone: true });
  await page.goto(url);
  await verifyInBrowser(env, page, EVE);
  await heading(page, 'contract.txt');

  // A remembered device's cookie ends with the proof (SECURITY-CHECKLIST B14) and a plain
  // session after 12 hours, so the page meets "reverification due" when the period is shorter
  // than the session: an admin shortening it, as here.
  await env.admin.ok('PATCH', '/api/v1/admin/settings', { reverify_after: '1h', remember_device_for: '1h' }, 200);
  await env.advanceClock('2h');
  await page.reload();
  await heading(page, 'Confirm your address again');
  await page
    .getByText(/(It's been \d+ days? since|You last confirmed your address on .*\.) .*Confirm it again to keep access/)
    .waitFor();
  await page.getByText('e**@partner.example').waitFor();
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'reverification-due');
  await env.axe(page, 'reverification due');

  const seen = await mailCount(env);
  await page.getByRole('button', { name: 'Send code' }).click();
  await heading(page, 'Check your email');
  await page.getByLabel('Code from the email').fill(await codeAfter(env, EVE, seen));
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await heading(page, 'contract.txt');
  await page.getByText('the contract').waitFor();
});
