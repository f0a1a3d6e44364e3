// Sessions and API tokens in the browser: a member signs in on a laptop and a phone; on the
// laptop's "Sessions and tokens" page she signs the phone out (the phone is back at sign-in on
// its next page), creates an API token (shown once, copied with the button), uses it from a
// script (fetch with Authorization: Bearer), revokes it in the page and sees the script refused.
// A recipient outside the organization sees their own sessions; the admin finds the member's
// sessions in the admin center's Sessions tab. Every page is screenshotted on desktop and phone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, codeOf, shareUrlOf, startEnv, waitUntil } from './support/env.mjs';

const ADA = { email: 'ada@example.org', password: 'Member-passw0rd-for-tests', name: 'Ada Lovelace' };
const EVE = 'eve@partner.example';
let env;

before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

async function signIn(page, who, path = '/') {
  await page.goto(path);
  await page.getByLabel('Email address').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function withToken(token, method, url, body) {
  const r = await fetch(env.base + url, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: await r.json().catch(() => undefined) };
}

test('a member signs out another session, and creates, uses and revokes an API token', async () => {
  await env.addMember(ADA.email, ADA.password, ADA.name, 'user');

  const phone = await env.newPage({ phone: true, userAgent: 'Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile' });
  await signIn(phone, ADA);
  await phone.getByRole('heading', { level: 1, name: 'My files' }).waitFor();

  const laptop = await env.newPage({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' });
  await laptop.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.base });
  await signIn(laptop, ADA);
  await laptop.getByRole('heading', { level: 1, name: 'My files' }).waitFor();
  await laptop.getByRole('link', { name: 'Sessions and tokens' }).click();
  await laptop.getByRole('heading', { level: 1, name: 'Sessions and tokens' }).waitFor();

  // The laptop, the phone, and the API client that added her.
  const sessions = laptop.getByRole('list', { name: 'Your sessions' }).getByRole('listitem');
  await waitUntil('three sessions listed', async () => (await sessions.count()) === 3);
  const here = sessions.filter({ hasText: 'This browser' });
  assert.match(await here.innerText(), /Firefox on Linux/);
  const other = sessions.filter({ hasText: 'Chrome on Android' });
  assert.equal(await other.count(), 1);
  await env.axe(laptop, 'sessions and tokens');
  await env.shot(laptop, 'member-sessions-desktop');

  // Sign the phone out from the laptop: its next page is the sign-in form.
  await other.getByRole('button', { name: /Sign out this session/ }).click();
  await laptop.getByText(/Signed out Chrome on Android/).waitFor();
  await waitUntil('two sessions left', async () => (await sessions.count()) === 2);
  assert.equal(await sessions.filter({ hasText: 'Chrome on Android' }).count(), 0);
  await phone.reload();
  await phone.getByRole('heading', { level: 1, name: 'Sign in to Vestibule' }).waitFor();

  // Create a read-and-write token: shown once, copied with the button.
  await laptop.getByLabel('Name').fill('nightly sync');
  await laptop.getByLabel('What it may do').selectOption('write');
  await laptop.getByRole('button', { name: 'Create token' }).click();
  await laptop.getByText('You will not see this token again.').waitFor();
  const token = await laptop.getByLabel('New API token').inputValue();
  assert.match(token, /^vst_[A-Za-z0-9_-]{43}$/);
  await laptop.getByRole('button', { name: 'Copy token' }).click();
  await laptop.getByText(/^Copied\./).waitFor();
  assert.equal(await laptop.evaluate(() => navigator.clipboard.readText()), token);
  await env.axe(laptop, 'a new token shown once');
  await env.shot(laptop, 'member-token-created-desktop');

  // A script uses it: no cookie, no Origin.
  const me = await withToken(token, 'GET', '/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.email, ADA.email);
  const { spaces } = (await withToken(token, 'GET', '/api/v1/spaces')).json;
  const made = await withToken(token, 'POST', `/api/v1/items/${spaces[0].root_item_id}/children`, {
    name: 'made by a script',
    kind: 'folder',
  });
  assert.equal(made.status, 201);

  await laptop.getByRole('button', { name: 'I have copied it' }).click();
  const tokens = laptop.getByRole('list', { name: 'Your API tokens' }).getByRole('listitem');
  await waitUntil('the token listed as used', async () => {
    await laptop.reload();
    return /Last used\s*\d/.test(await tokens.first().innerText());
  });
  assert.doesNotMatch(await laptop.content(), new RegExp(token));

  // The phone's view of the page.
  await signIn(phone, ADA, '/sessions');
  await phone.getByRole('heading', { level: 1, name: 'Sessions and tokens' }).waitFor();
  await env.assertNoHorizontalScroll(phone);
  await env.axe(phone, 'sessions and tokens on a phone');
  await env.shot(phone, 'member-sessions-phone');

  // Revoke it in the page: the script is refused on its next request.
  await laptop.getByRole('button', { name: 'Revoke the token nightly sync' }).click();
  await laptop.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
  await laptop.getByText(/is revoked/).waitFor();
  await laptop.getByText('You have no API tokens.').waitFor();
  const refused = await withToken(token, 'GET', '/api/v1/me');
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error.code, 'unauthenticated');
});

test('an admin finds a member’s sessions in the admin center', async () => {
  const admin = await env.newPage();
  await signIn(admin, ADMIN, '/admin/sessions');
  await admin.getByRole('heading', { level: 2, name: 'Sessions' }).waitFor();
  await admin.getByLabel('Person').fill('ada@');
  await admin.getByRole('button', { name: 'Find sessions' }).click();
  const rows = admin.getByRole('region', { name: 'Sessions found' }).getByRole('row');
  await waitUntil('only Ada’s sessions', async () => {
    const text = await admin.getByRole('region', { name: 'Sessions found' }).innerText().catch(() => '');
    return text.includes(ADA.email) && !text.includes(ADMIN.email);
  });
  assert.ok((await rows.count()) >= 2);
  await env.axe(admin, 'admin sessions tab');
  await env.shot(admin, 'admin-sessions-desktop');

  const phone = await env.newPage({ phone: true });
  await signIn(phone, ADMIN, '/admin/sessions');
  await phone.getByRole('heading', { level: 2, name: 'Sessions' }).waitFor();
  await phone.getByRole('region', { name: 'Sessions found' }).waitFor();
  await env.assertNoHorizontalScroll(phone);
  await env.shot(phone, 'admin-sessions-phone');

  // End one of Ada's sessions from here.
  await phone.getByLabel('Person').fill('ada@');
  await phone.getByRole('button', { name: 'Find sessions' }).click();
  await waitUntil('Ada’s sessions', async () =>
    (await phone.getByRole('region', { name: 'Sessions found' }).innerText().catch(() => '')).includes(ADA.email),
  );
  const before = await phone.getByRole('button', { name: /End session of/ }).count();
  await phone.getByRole('button', { name: `End session of ${ADA.email}` }).first().click();
  await phone.getByRole('dialog').getByRole('button', { name: 'End session' }).click();
  await phone.getByText(/Ended the session of/).waitFor();
  await waitUntil('one session fewer', async () => (await phone.getByRole('button', { name: /End session of/ }).count()) === before - 1);
});

test('a recipient outside the organization sees and signs out their own sessions', async () => {
  const ada = await env.addMember('ada2@example.org', ADA.password, 'Ada Two', 'user');
  const { spaces } = await ada.get('/api/v1/spaces');
  const root = spaces.find((s) => s.kind === 'personal').root_item_id;
  const file = await ada.ok('PUT', `/api/v1/items/${root}/files/plan.txt`, 'the plan\n', [201]);
  const link = await ada.post(`/api/v1/items/${file.id}/links`, { kind: 'specific', role: 'view', recipients: [EVE] });
  const [invitation] = await env.waitForMail({ to: EVE, where: (m) => m.text.includes(`/s/${link.token}`) });

  const eve = await env.newPage({ phone: true });
  await eve.goto(shareUrlOf(invitation));
  const seen = (await env.messages()).length;
  await eve.getByRole('button', { name: 'Send code' }).click();
  const mail = await waitUntil('a code mail', async () =>
    (await env.messages()).slice(seen).find((m) => m.to.includes(EVE) && /code/i.test(m.subject)),
  );
  await eve.getByLabel('Code from the email').fill(codeOf(mail));
  await eve.getByRole('button', { name: 'Open', exact: true }).click();
  await eve.getByRole('heading', { level: 1, name: 'plan.txt' }).waitFor();

  await eve.getByRole('link', { name: 'Sessions' }).click();
  await eve.getByRole('heading', { level: 1, name: 'Your sessions' }).waitFor();
  const sessions = eve.getByRole('list', { name: 'Your sessions' }).getByRole('listitem');
  await waitUntil('her session', async () => (await sessions.count()) === 1);
  assert.match(await sessions.first().innerText(), /This browser/);
  assert.match(await sessions.first().innerText(), /email code/);
  assert.equal(await eve.getByRole('heading', { name: 'API tokens' }).count(), 0);
  await env.assertNoHorizontalScroll(eve);
  await env.axe(eve, 'a recipient’s sessions');
  await env.shot(eve, 'recipient-sessions-phone');

  const desk = await env.newPage();
  await desk.context().addCookies(await eve.context().cookies());
  await desk.goto('/sessions');
  await desk.getByRole('heading', { level: 1, name: 'Your sessions' }).waitFor();
  await env.shot(desk, 'recipient-sessions-desktop');

  // Signing out here ends it: the link asks for a code again.
  await eve.getByRole('button', { name: /Sign out here/ }).click();
  await eve.waitForURL((u) => u.pathname === '/');
  await eve.goto(shareUrlOf(invitation));
  await eve.getByRole('button', { name: 'Send code' }).waitFor();
});
