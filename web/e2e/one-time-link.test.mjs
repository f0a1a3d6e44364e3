// Past 100 wrong codes for an address no guessable code is sent to it any more: the email carries
// a one-time link instead, which works only in the browser that asked. Someone who holds a
// forwarded link and guesses cannot lock the real recipient out, and cannot use her link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { heading, mailCount, ownerOf, shareWith, upload, waitForNew } from './support/recipient.mjs';
import { startEnv } from './support/env.mjs';

const EVE = 'eve@partner.example';
let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('a one-time link replaces the code after 100 wrong ones, in the browser that asked', async () => {
  const owner = await ownerOf(env);
  const file = await upload(owner.api, owner.root, 'contract.txt', Buffer.from('Signed contract for Eve.\n'));
  const { url, link } = await shareWith(env, owner.api, file.id, EVE);
  const token = new URL(url).pathname.split('/').pop();

  // Eve's phone: her browser has asked for a code once, so it holds its browser cookie.
  const eve = await env.newPage({ phone: true });
  await eve.goto(url);
  await eve.getByRole('button', { name: 'Send code' }).click();
  await heading(eve, 'Check your email');

  // 100 wrong codes for her address (20 codes, 5 wrong tries each), an hour apart every 5 codes
  // so the send budgets renew. Through the same browser's cookies, without its page.
  const request = eve.context().request;
  for (let i = 0; i < 20; i++) {
    if (i % 5 === 4) await env.advanceClock('61m');
    const before = await mailCount(env);
    const asked = await request.post(`/api/v1/shares/${token}/verification`, { data: { email: EVE } });
    assert.equal(asked.status(), 202);
    // The code exists once its email is out: only then do wrong tries count against it.
    await waitForNew(env, before, (m) => m.to.includes(EVE) && /code/i.test(m.subject));
    for (let t = 0; t < 5; t++) {
      const r = await request.post(`/api/v1/shares/${token}/verification/confirm`, {
        data: { email: EVE, code: '00000000' },
      });
      assert.equal(r.status(), 400, await r.text());
    }
  }
  await env.advanceClock('61m');

  // She asks again on the page (it kept her code step; she starts over with her address): the
  // email has a link instead of a code.
  await eve.goto(url);
  await eve.getByRole('button', { name: 'Use a different address' }).click();
  await eve.getByLabel('Your email address').fill(EVE);
  const seen = await mailCount(env);
  await eve.getByRole('button', { name: 'Send code' }).click();
  await heading(eve, 'Check your email');
  const mail = await waitForNew(env, seen, (m) => m.to.includes(EVE) && m.text.includes('/verify#'));
  assert.doesNotMatch(mail.text, /\b\d{8}\b/, 'no guessable code in the email');
  const oneTime = /https?:\/\/[^\s<>"']+\/verify#[^\s<>"']+/.exec(mail.text)?.[0];
  assert.ok(oneTime, mail.text);
  assert.match(oneTime, new RegExp(`#link=${link.id}&`));

  // In another browser the link does nothing, and says what to do.
  const other = await env.newPage({ phone: true });
  await other.goto(oneTime);
  await heading(other, 'This link cannot be used');
  await other.getByText(/only in the browser where the code was asked for/).waitFor();
  assert.equal(await other.getByText('Signed contract').count(), 0);
  assert.ok(!other.url().includes('token='), 'the token is cleared from the address bar');
  await env.assertNoHorizontalScroll(other);
  await env.shot(other, 'one-time-other-browser');
  await env.axe(other, 'one-time link in another browser');

  // In Eve's browser it opens the file.
  await eve.goto(oneTime);
  await heading(eve, 'contract.txt');
  await eve.getByText('Signed contract for Eve.').waitFor();
  assert.ok(!eve.url().includes('token='), 'the token is not left in the address bar');
  await env.shot(eve, 'one-time-open');

  // Used once: a second visit, in the same browser, is refused.
  await eve.goto(oneTime);
  await heading(eve, 'This link cannot be used');

  // The audit log has the use, once, for her address on this link.
  const { entries } = await env.admin.get('/api/v1/admin/audit?event=verification.one_time_used');
  assert.equal(entries.length, 1, JSON.stringify(entries));
  assert.equal(entries[0].target.address, EVE);
  assert.equal(entries[0].target.ref, `link:${link.id}`);
  assert.equal(entries[0].client_ip, '127.0.0.1');
});
