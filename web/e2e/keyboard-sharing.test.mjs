// The same sharing with the keyboard alone (Tab, Enter, Space, Esc, typing; no mouse): sign in,
// open a file's actions, Share, type an address and Enter to make a chip, Tab to "Share", send,
// copy the link, Esc back to the list with focus where it was; manage access and Esc. Every
// focused control shows a visible focus style.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEnv } from './support/env.mjs';

const GRACE = { email: 'grace@example.org', password: 'Grace-passw0rd-for-browser-tests', name: 'Grace Hopper' };
const BOB = 'bob@partner.example';

let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

const isFocused = (locator) => locator.evaluate((el) => el === document.activeElement);

// Presses Tab (or Shift+Tab) until `target` has the focus; fails after `max` presses.
async function tabTo(page, target, { max = 60, back = false } = {}) {
  for (let i = 0; i < max; i += 1) {
    if (await isFocused(target)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  assert.ok(await isFocused(target), `Tab never reached ${target}`);
}

// The focused element shows a focus ring: an outline or a box-shadow.
async function assertFocusVisible(locator, what) {
  const style = await locator.evaluate((el) => {
    const s = getComputedStyle(el);
    return { shadow: s.boxShadow, outline: s.outlineStyle, width: s.outlineWidth, focusVisible: el.matches(':focus-visible') };
  });
  assert.ok(style.focusVisible, `${what} matches :focus-visible`);
  assert.ok(style.shadow !== 'none' || (style.outline !== 'none' && style.width !== '0px'), `${what} shows its focus: ${JSON.stringify(style)}`);
}

test('sharing a file with the keyboard alone', async () => {
  const grace = await env.addMember(GRACE.email, GRACE.password, GRACE.name, 'user');
  const { spaces } = await grace.get('/api/v1/spaces');
  await grace.ok('PUT', `/api/v1/items/${spaces[0].root_item_id}/files/roadmap.txt`, new TextEncoder().encode('Q1: ship sharing\n'), [201]);

  const page = await env.newPage();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.base });
  await page.goto('/');

  // Sign in: Tab to the fields, type, Enter.
  const email = page.getByLabel('Email address');
  await tabTo(page, email);
  await assertFocusVisible(email, 'the email field');
  await page.keyboard.type(GRACE.email);
  await page.keyboard.press('Tab');
  assert.ok(await isFocused(page.getByLabel('Password')));
  await page.keyboard.type(GRACE.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'My files' }).waitFor();

  // "Upload files" is reached by Tab too (the file input itself); its label shows the focus.
  const uploadInput = page.getByLabel('Upload files');
  await tabTo(page, uploadInput);
  const ring = await page.locator('label', { hasText: 'Upload files' }).evaluate((l) => getComputedStyle(l).boxShadow);
  assert.notEqual(ring, 'none', 'the "Upload files" label shows the focus of its input');

  // The row's actions: Tab to the button, Enter opens them with focus on the first one.
  const actions = page.getByRole('button', { name: 'Actions for roadmap.txt' });
  await tabTo(page, actions);
  await assertFocusVisible(actions, '"Actions for roadmap.txt"');
  await page.keyboard.press('Enter');
  const open = page.getByRole('button', { name: 'Open', exact: true });
  await open.waitFor();
  assert.ok(await isFocused(open), 'focus moves into the actions');
  assert.equal(await actions.getAttribute('aria-expanded'), 'true');
  await env.axe(page, 'row actions open');
  await env.shot(page, 'actions-open');
  // Esc closes them and gives the focus back.
  await page.keyboard.press('Escape');
  await open.waitFor({ state: 'detached' });
  assert.ok(await isFocused(actions), 'Esc returns focus to the actions button');

  // Space opens them too; Tab, Tab to "Share" (past "Download"), Enter. The keys go in at once,
  // as a fast typist's would: the focus must already be on "Open" when the first Tab arrives.
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const shareAction = page.getByRole('button', { name: 'Share', exact: true });
  assert.ok(await isFocused(shareAction), 'two Tabs after Space reach "Share"');
  await assertFocusVisible(shareAction, 'the "Share" action');
  await page.keyboard.press('Enter');

  const dialog = page.getByRole('dialog', { name: 'Share roadmap.txt' });
  const people = dialog.getByLabel('Add people');
  await people.waitFor();
  await page.waitForFunction(() => document.activeElement?.closest('dialog[open]') !== null);
  await tabTo(page, people);
  await page.keyboard.type(BOB);
  await page.keyboard.press('Enter');
  const chip = dialog.locator(`.chip[data-address="${BOB}"]`);
  await chip.waitFor();
  assert.ok(await isFocused(people), 'Enter makes a chip and keeps the focus in the field');
  assert.equal(await people.inputValue(), '');
  await tabTo(page, dialog.getByLabel('Message'));
  await page.keyboard.type('Typed without a mouse.');
  const send = dialog.getByRole('button', { name: 'Share', exact: true });
  await tabTo(page, send);
  await assertFocusVisible(send, 'the dialog\'s "Share" button');
  await env.axe(page, 'share dialog (keyboard)');
  await env.shot(page, 'share-dialog');
  await page.keyboard.press('Enter');

  // Sent: focus is on "Copy link"; Enter copies.
  const copy = dialog.getByRole('button', { name: 'Copy link' });
  await copy.waitFor();
  await page.waitForFunction(() => document.activeElement?.textContent === 'Copy link');
  await assertFocusVisible(copy, '"Copy link"');
  await page.keyboard.press('Enter');
  await page.getByText('Link copied').waitFor();
  const url = await dialog.getByLabel('Link').inputValue();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  await dialog.locator(`.delivery[data-address="${BOB}"]`).getByText('Invitation sent').waitFor({ timeout: 15_000 });
  await env.axe(page, 'share dialog sent (keyboard)');
  await env.shot(page, 'share-dialog-sent');

  // Esc closes the dialog; focus goes back to the row's actions.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-actions-for') !== null);
  assert.ok(await isFocused(actions), 'focus is back on "Actions for roadmap.txt"');
  const [mail] = await env.waitForMail({ to: BOB });
  assert.match(mail.text, /Typed without a mouse\./);

  // Manage access by keyboard: the recipient is there with "Remove"; Esc closes.
  await page.keyboard.press('Enter');
  const manage = page.getByRole('button', { name: 'Manage access' });
  await manage.waitFor();
  await tabTo(page, manage, { max: 6 });
  await page.keyboard.press('Enter');
  const access = page.getByRole('dialog', { name: 'Who can open roadmap.txt' });
  const remove = access.getByRole('button', { name: `Remove ${BOB}` });
  await remove.waitFor();
  await tabTo(page, remove);
  await assertFocusVisible(remove, `"Remove ${BOB}"`);
  await env.axe(page, 'manage access (keyboard)');
  await env.shot(page, 'manage-access');

  // Revoke the link: Enter asks first, with the focus on "Revoke now"; Enter again revokes.
  const revoke = access.getByRole('button', { name: 'Revoke link' });
  await tabTo(page, revoke);
  await page.keyboard.press('Enter');
  const revokeNow = access.getByRole('button', { name: 'Revoke now' });
  await revokeNow.waitFor();
  await page.waitForFunction(() => document.activeElement?.textContent === 'Revoke now');
  await assertFocusVisible(revokeNow, '"Revoke now"');
  await env.axe(page, 'revoke confirmation (keyboard)');
  await env.shot(page, 'revoke-confirm');
  await page.keyboard.press('Enter');
  await access.getByText('The link was revoked.', { exact: false }).waitFor();
  await page.waitForFunction(() => document.activeElement?.classList.contains('access-note'));
  const item = (await grace.get(`/api/v1/items/${spaces[0].root_item_id}/children`)).items[0];
  const report = await grace.get(`/api/v1/items/${item.id}/access`);
  assert.deepEqual(report.links.map((l) => l.state), ['revoked']);
  await access.getByText('Revoked links (1)').waitFor();
  await page.keyboard.press('Escape');
  await access.waitFor({ state: 'hidden' });
  // The page gives the focus back once the dialog has closed (a task later), as after sharing.
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-actions-for') !== null);
  assert.ok(await isFocused(actions), 'focus is back on the actions after manage access');
  await env.shot(page, 'files-after');
});
