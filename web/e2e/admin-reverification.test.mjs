// An admin shortens the reverification period and it applies at once to a recipient who is
// already verified: a member shares a file with an outside address, the recipient proves the
// address on a phone and sees the file; the admin sets "Reverification period" to 1h in the
// admin center; two hours later the recipient's next click asks for a code again — and one more
// code opens the file again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, codeOf, shareUrlOf, startEnv, waitUntil } from './support/env.mjs';

const EVE = 'eve@partner.example';
const NOTES = 'Hello Eve,\nthe figures for the third quarter are in.\n';
let env;

before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

// The first code mail to `to` among the messages after the first `seen`.
async function codeAfter(seen, to) {
  const mail = await waitUntil(`a code mail to ${to}`, async () =>
    (await env.messages()).slice(seen).find((m) => m.to.includes(to) && /code/i.test(m.subject)),
  );
  return codeOf(mail);
}

// What a recipient sees once the file is open: its name as the heading, and "Download".
async function seesTheFile(page) {
  await page.getByRole('heading', { level: 1, name: 'notes.txt' }).waitFor();
  await page.getByRole('link', { name: 'Download' }).or(page.getByRole('button', { name: 'Download' })).first().waitFor();
}

// On the recipient's page: the address (prefilled or typed), "Send code", the code, "Open".
async function proveAddress(page, address) {
  const send = page.getByRole('button', { name: 'Send code' });
  await send.waitFor();
  // The address is asked for the first time (prefilled from the invitation); at reverification
  // the page may already know it.
  const field = page.getByLabel('Your email address');
  if (await field.isVisible()) {
    if ((await field.inputValue()) !== address) await field.fill(address);
  }
  const seen = (await env.messages()).length;
  await send.click();
  const codeField = page.getByLabel('Code from the email');
  await codeField.waitFor();
  await codeField.fill(await codeAfter(seen, address));
  await page.getByRole('button', { name: 'Open', exact: true }).click();
}

test('a shorter reverification period asks a verified recipient for a new code on the next click', async () => {
  // A member shares notes.txt with Eve (API).
  const ada = await env.addMember('ada@example.org', 'Member-passw0rd-for-tests', 'Ada Lovelace', 'user');
  const { spaces } = await ada.get('/api/v1/spaces');
  const root = spaces.find((s) => s.kind === 'personal').root_item_id;
  const file = await ada.ok('PUT', `/api/v1/items/${root}/files/notes.txt`, NOTES, [201]);
  const link = await ada.post(`/api/v1/items/${file.id}/links`, { kind: 'specific', role: 'view', recipients: [EVE] });
  const [invitation] = await env.waitForMail({ to: EVE, where: (m) => m.text.includes(`/s/${link.token}`) });

  // Eve opens the invitation on her phone and proves her address.
  const eve = await env.newPage({ phone: true });
  await eve.goto(shareUrlOf(invitation));
  await proveAddress(eve, EVE);
  await seesTheFile(eve);
  await env.shot(eve, 'recipient-open');
  await env.axe(eve, 'the recipient with the file open');

  // The admin, in another browser, signs in at /admin and shortens the period.
  const admin = await env.newPage();
  await admin.goto('/admin');
  await admin.getByRole('heading', { name: 'Sign in to the admin center' }).waitFor();
  await admin.getByLabel('Email address').fill(ADMIN.email);
  await admin.getByLabel('Password').fill(ADMIN.password);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  const period = admin.getByLabel('Reverification period');
  await period.waitFor();
  assert.equal(await period.inputValue(), '30d');
  assert.equal(await admin.getByRole('link', { name: 'Policy' }).getAttribute('aria-current'), 'page');
  await env.axe(admin, 'the policy');
  await period.fill('1h');
  await admin.getByText('Reads as 1 hour.').waitFor();
  await admin.getByRole('button', { name: 'Save policy' }).click();
  await admin.getByText('Saved. The change applies to existing links and sessions at once.').waitFor();
  // "Remember device for" cannot be longer than the period: the page shortened it and says so.
  await admin.getByText(/“Remember device for” was shortened to 1h as well/).waitFor();
  assert.equal(await admin.getByLabel('Remember device for').inputValue(), '1h');
  const policy = await env.admin.get('/api/v1/admin/settings');
  assert.equal(policy.reverify_after, '1h');
  assert.equal(policy.remember_device_for, '1h');
  await env.shot(admin, 'policy-saved');
  await env.axe(admin, 'the policy, saved');

  // Two hours later, Eve's next click asks for a code again.
  await env.advanceClock('2h');
  await eve.reload();
  await eve
    .getByRole('button', { name: 'Send code' })
    .waitFor()
    .catch(async (e) => {
      await env.shot(eve, 'FAILED-reverification-due');
      throw e;
    });
  await eve.getByText(/confirm it again/i).waitFor();
  assert.equal(await eve.getByRole('heading', { level: 1, name: 'notes.txt' }).count(), 0, 'the file is no longer shown');
  const content = await eve.evaluate(async (t) => (await fetch(`/api/v1/shares/${t}/content`)).status, link.token);
  assert.equal(content, 401, 'the file cannot be fetched without a new code');
  await env.assertNoHorizontalScroll(eve);
  await env.shot(eve, 'recipient-reverification-due');
  await env.axe(eve, 'the recipient, reverification due');

  // One more code and the same link opens the file again.
  await proveAddress(eve, EVE);
  await seesTheFile(eve);
  await env.shot(eve, 'recipient-open-again');
});
