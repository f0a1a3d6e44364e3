// A member signs in, uploads a file with "Upload files" and another by dropping it on the list
// (progress seen, then "Uploaded"), makes a folder, and shares a file with an outside address and
// a message: the chip says who the address is, the invitation reaches the SMTP sink with the
// message and a /s/ link, and the dialog shows the link ("Copy link") and the delivery turning
// "sent". On the way: the upload limit and a refused name in the queue, the viewer, a refused
// rename, the folder picker, an address the policy refuses; then manage access (a request declined,
// an invitation resent), "Shared by me", requests (approved), versions (an old one restored),
// delete with undo, the trash (restore, delete for ever), and the files and share dialog on a phone.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { artifactsDir, shareUrlOf, startEnv } from './support/env.mjs';

const ADA = { email: 'ada@example.org', password: 'Ada-passw0rd-for-browser-tests', name: 'Ada Lovelace' };
const EVE = 'eve@partner.example';
const RIVAL = 'mallory@rival.example';
const MESSAGE = 'The board pack for Thursday: comments welcome by Wednesday noon.';
const MiB = 1024 * 1024;

let env;
before(async () => {
  // Uploads above 8 MiB are refused, so the queue's "too large" is seen without a huge file.
  env = await startEnv({ extraArgs: ['--set', `storage.max_upload_bytes=${8 * MiB}`] });
});
after(async () => {
  await env?.stop();
});

// Records every value the queue's progress bars take (the bar's `value` reflects to its attribute).
async function recordProgress(page) {
  await page.evaluate(() => {
    window.__progress = {};
    new MutationObserver(() => {
      for (const bar of document.querySelectorAll('.upload-queue progress')) {
        const name = bar.getAttribute('aria-label');
        (window.__progress[name] ??= []).push(bar.value);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
  });
}

const progressOf = (page, name) => page.evaluate((n) => window.__progress[`Progress of ${n}`] ?? [], name);

test('a member uploads by button and by drop, makes a folder and shares a file with an outside address', async () => {
  const ada = await env.addMember(ADA.email, ADA.password, ADA.name, 'user');
  const { spaces } = await ada.get('/api/v1/spaces');
  const root = spaces[0].root_item_id;
  await env.admin.ok('PATCH', '/api/v1/admin/settings', { blocked_domains: ['rival.example'] }, 200);
  const page = await env.newPage();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.base });

  // Sign in through the form.
  await page.goto('/');
  await page.getByLabel('Email address').fill(ADA.email);
  await page.getByLabel('Password').fill(ADA.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'My files' }).waitFor();
  await page.getByText('This folder is empty.').waitFor();
  await env.axe(page, 'files (empty)');
  await env.shot(page, 'files-empty');

  // Upload with the button; the network is slowed so the bar is seen moving.
  await recordProgress(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 3 * MiB });
  const dir = mkdtempSync(path.join(tmpdir(), 'member-upload-'));
  const packPath = path.join(dir, 'board-pack.zip');
  const pack = Buffer.alloc(5 * MiB, 0x5a);
  writeFileSync(packPath, pack);
  await page.getByLabel('Upload files').setInputFiles(packPath);
  const packRow = page.locator('.upload-queue li[data-name="board-pack.zip"]');
  await packRow.locator('progress').waitFor();
  await packRow.getByText(/Uploading \d+%/).waitFor();
  await env.shot(page, 'upload-progress');
  await env.axe(page, 'upload queue while uploading');
  await packRow.getByText('Uploaded').waitFor({ timeout: 20_000 });
  const seen = await progressOf(page, 'board-pack.zip');
  assert.ok(seen.some((v) => v > 0 && v < 100), `the bar showed progress between 0 and 100: ${seen.join(', ')}`);
  assert.equal(await packRow.locator('progress').getAttribute('value'), '100');
  await page.getByRole('button', { name: 'board-pack.zip', exact: true }).waitFor();
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // Drop a file on the list: a real drop event with a DataTransfer built in the page.
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(['Minutes of the meeting\n'.repeat(120_000)], 'meeting-notes.txt', { type: 'text/plain' }));
    window.__drop = data;
    const list = document.querySelector('.file-list');
    list.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: data }));
    list.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
  });
  await page.getByText('Drop to upload to “My files”').waitFor();
  await env.shot(page, 'drop-over');
  await env.axe(page, 'files while a drop hovers');
  await page.evaluate(() => {
    document.querySelector('.file-list').dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: window.__drop }));
  });
  const notesRow = page.locator('.upload-queue li[data-name="meeting-notes.txt"]');
  await notesRow.locator('progress').waitFor();
  await notesRow.getByText('Uploaded').waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'meeting-notes.txt', exact: true }).waitFor();
  const size = await page.locator('tr', { has: page.getByRole('button', { name: 'meeting-notes.txt', exact: true }) }).locator('.col-size').innerText();
  assert.equal(size, '2.6 MB');
  // A file above the upload limit (GET /api/v1/me limits) is refused before a byte is sent.
  await page.evaluate((size) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(size)], 'scan.tiff'));
    document.querySelector('.file-list').dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
  }, 9 * MiB);
  const tooLarge = page.locator('.upload-queue li[data-name="scan.tiff"]');
  await tooLarge.getByText('Not uploaded').waitFor();
  assert.equal(await tooLarge.locator('.field-error').innerText(), 'too large: the limit is 8.0 MB');

  // A name the server refuses: the queue says why, in the server's words.
  await page.getByLabel('Upload files').setInputFiles({ name: 'CON.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
  const refused = page.locator('.upload-queue li[data-name="CON.txt"]');
  await refused.getByText('Not uploaded').waitFor();
  assert.match(await refused.locator('.field-error').innerText(), /CON\.txt.*reserved device name/);
  await env.axe(page, 'files with the upload queue');
  await env.shot(page, 'uploaded');

  // A new folder.
  await page.getByRole('button', { name: 'New folder' }).click();
  const newFolder = page.getByRole('dialog', { name: 'New folder' });
  await newFolder.getByLabel('Folder name').fill('Contracts');
  await env.axe(page, 'new folder dialog');
  await env.shot(page, 'new-folder');
  await newFolder.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('link', { name: 'Contracts', exact: true }).waitFor();
  assert.equal(await newFolder.isVisible(), false);

  // Open the text file: the viewer shows it in a dialog.
  await page.getByRole('button', { name: 'meeting-notes.txt', exact: true }).click();
  const viewer = page.getByRole('dialog', { name: 'meeting-notes.txt' });
  await viewer.getByLabel('File contents').getByText(/^Minutes of the meeting/).waitFor();
  await viewer.getByText(/Showing the first 1.0 MB of 2.6 MB/).waitFor();
  await env.axe(page, 'viewer');
  await env.shot(page, 'viewer');
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'hidden' });

  // Rename: the server's refusal is said on the field; then a good name.
  await page.getByRole('button', { name: 'Actions for meeting-notes.txt' }).click();
  await page.getByRole('button', { name: 'Rename' }).click();
  const rename = page.getByRole('dialog', { name: 'Rename meeting-notes.txt' });
  await rename.getByLabel('Name', { exact: true }).fill('notes/minutes.txt');
  await rename.getByRole('button', { name: 'Rename', exact: true }).click();
  const refusal = rename.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /\//, 'the server says which character is not allowed');
  assert.equal(await rename.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
  await env.axe(page, 'rename refused');
  await env.shot(page, 'rename-refused');
  await rename.getByLabel('Name', { exact: true }).fill('minutes.txt');
  await rename.getByRole('button', { name: 'Rename', exact: true }).click();
  await page.getByRole('button', { name: 'minutes.txt', exact: true }).waitFor();

  // Move it into the folder with the folder picker.
  await page.getByRole('button', { name: 'Actions for minutes.txt' }).click();
  await page.getByRole('button', { name: 'Move' }).click();
  const move = page.getByRole('dialog', { name: 'Move minutes.txt' });
  await move.getByRole('button', { name: 'Contracts' }).click();
  await move.getByRole('navigation', { name: 'Folder to move into' }).getByText('Contracts').waitFor();
  await env.axe(page, 'move dialog');
  await env.shot(page, 'move');
  await move.getByRole('button', { name: 'Move here' }).click();
  await page.getByText('minutes.txt moved to “Contracts”.').waitFor();
  await page.getByRole('link', { name: 'Contracts', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Contracts' }).waitFor();
  await page.getByRole('button', { name: 'minutes.txt', exact: true }).waitFor();
  await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'My files' }).click();
  await page.getByRole('heading', { level: 1, name: 'My files' }).waitFor();

  // Share the uploaded file with an outside address and a message.
  await page.getByRole('button', { name: 'Actions for board-pack.zip' }).click();
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const share = page.getByRole('dialog', { name: 'Share board-pack.zip' });
  await share.getByLabel('Link type').waitFor();
  await share.getByLabel('Add people').fill(EVE);
  await share.getByLabel('Add people').press('Enter');
  const chip = share.locator(`.chip[data-address="${EVE}"]`);
  await chip.getByText('new outside: will confirm by email code').waitFor();
  assert.equal(await share.getByLabel('Add people').inputValue(), '');
  assert.equal(await share.getByLabel('Access').inputValue(), 'view');
  await share.getByLabel('Message').fill(MESSAGE);

  // An address the policy refuses: its chip says why as it is typed, and "Share" shares nothing
  // until it is removed.
  await share.getByLabel('Add people').fill(`${RIVAL},`);
  const rivalChip = share.locator(`.chip[data-address="${RIVAL}"]`);
  await rivalChip.waitFor();
  await rivalChip.getByText('the domain rival.example is blocked for sharing').waitFor(); // checked as typed
  await share.getByRole('button', { name: 'Share', exact: true }).click();
  await rivalChip.getByText('the domain rival.example is blocked for sharing').waitFor();
  await share.getByText(/one address is refused \(marked below\)/i).waitFor();
  assert.equal(await share.getByLabel('Add people').getAttribute('aria-invalid'), 'true');
  await env.axe(page, 'share dialog, an address refused');
  await env.shot(page, 'share-dialog-refused');
  await share.getByRole('button', { name: `Remove ${RIVAL}` }).click();
  await rivalChip.waitFor({ state: 'detached' });
  assert.equal(await share.getByLabel('Add people').getAttribute('aria-invalid'), null, 'the refusal is gone with the address');
  await env.axe(page, 'share dialog, filled');
  await env.shot(page, 'share-dialog-filled');
  await share.screenshot({ path: path.join(artifactsDir(), 'share-dialog.png') });
  copyFileSync(path.join(artifactsDir(), `${env.journey}-share-dialog-filled.png`), path.join(artifactsDir(), `${env.journey}-share-dialog.png`));

  await share.getByRole('button', { name: 'Share', exact: true }).click();
  const copy = share.getByRole('button', { name: 'Copy link' });
  await copy.waitFor();
  const url = await share.getByLabel('Link').inputValue();
  assert.match(url, /\/s\/[A-Za-z0-9_-]{43}$/);
  const delivery = share.locator(`.delivery[data-address="${EVE}"]`);
  await delivery.getByText('Invitation sent').waitFor({ timeout: 15_000 });
  await copy.click();
  await page.getByText('Link copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);

  const [mail] = await env.waitForMail({ to: EVE });
  assert.match(mail.text, /board pack for Thursday: comments welcome by Wednesday noon\./);
  assert.equal(shareUrlOf(mail).split('?')[0], url);
  await env.axe(page, 'share dialog, sent');
  await env.shot(page, 'share-dialog-sent');
  await share.getByRole('button', { name: 'Done' }).click();
  assert.equal(await share.isVisible(), false);
  // The list marks what is shared (from "Shared by me").
  await page.locator('tr', { has: page.getByRole('button', { name: 'board-pack.zip', exact: true }) }).getByText('Shared', { exact: true }).waitFor();

  // Someone with a forwarded link asks for access; manage access shows it at the top.
  const token = url.split('/s/')[1];
  const asked = await fetch(`${env.base}/api/v1/shares/${token}/access-requests`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'mallory@elsewhere.example', message: 'Eve forwarded this to me; may I see it too?' }),
  });
  assert.equal(asked.status, 202);

  await page.getByRole('button', { name: 'Actions for board-pack.zip' }).click();
  await page.getByRole('button', { name: 'Manage access' }).click();
  const access = page.getByRole('dialog', { name: 'Who can open board-pack.zip' });
  const eveRow = access.locator(`.recipient[data-address="${EVE}"]`);
  await eveRow.getByText('pending — never opened').waitFor();
  await eveRow.getByText('Invitation sent').waitFor();
  await access.getByRole('button', { name: `Remove ${EVE}` }).waitFor();
  await access.getByRole('button', { name: 'Revoke link' }).waitFor();
  const request = access.locator('.request[data-address="mallory@elsewhere.example"]');
  await request.getByText('may I see it too?').waitFor();
  await env.axe(page, 'manage access');
  await env.shot(page, 'manage-access');
  await eveRow.getByRole('button', { name: `Resend invitation to ${EVE}` }).click();
  await access.getByText(`The invitation to ${EVE} is being sent again.`).waitFor();
  const again = await env.waitForMail({ to: EVE, count: 2 });
  assert.match(again[1].text, /\/shared\/\d+/, 'the new copy links to the token-free page of the link');
  await request.getByRole('button', { name: /^Decline/ }).click();
  await request.getByText('Declined: mallory@elsewhere.example will not get access to board-pack.zip.').waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await access.isVisible(), false);

  // Shared by me.
  await page.getByRole('link', { name: 'Shared by me' }).click();
  await page.getByRole('heading', { level: 1, name: 'Shared by me' }).waitFor();
  const entry = page.locator('.share-entry', { has: page.getByRole('link', { name: 'board-pack.zip' }) });
  await entry.locator(`[data-address="${EVE}"]`).getByText('pending — never opened').waitFor();
  await entry.locator(`[data-address="${EVE}"]`).getByText('Invitation sent').waitFor();
  await env.axe(page, 'shared by me');
  await env.shot(page, 'shared-by-me');

  // Requests: a second request, declined or approved from the list.
  await fetch(`${env.base}/api/v1/shares/${token}/access-requests`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'trent@elsewhere.example', message: 'I am on the board too.' }),
  });
  await page.getByRole('link', { name: 'Requests' }).click();
  await page.getByRole('heading', { level: 1, name: 'Requests for access' }).waitFor();
  const trent = page.locator('.request[data-address="trent@elsewhere.example"]');
  await trent.getByText('I am on the board too.').waitFor();
  await trent.getByRole('link', { name: 'board-pack.zip' }).waitFor();
  await env.axe(page, 'requests');
  await env.shot(page, 'requests');
  await trent.getByRole('button', { name: /^Approve/ }).click();
  await trent.getByText('Approved: trent@elsewhere.example can open board-pack.zip and gets an invitation by email.').waitFor();
  await env.waitForMail({ to: 'trent@elsewhere.example' });

  // Versions: the same name uploaded again is version 2; version 1 can be restored.
  await page.getByRole('link', { name: 'My files' }).click();
  await page.getByRole('button', { name: 'board-pack.zip', exact: true }).waitFor();
  const pack2 = path.join(dir, 'v2', 'board-pack.zip');
  mkdirSync(path.dirname(pack2));
  writeFileSync(pack2, Buffer.alloc(MiB, 0x32));
  await page.getByLabel('Upload files').setInputFiles(pack2);
  await page.locator('.upload-queue li[data-name="board-pack.zip"]').last().getByText('Uploaded').waitFor();
  await page.getByRole('button', { name: 'Actions for board-pack.zip' }).click();
  await page.getByRole('button', { name: 'Versions' }).click();
  const versions = page.getByRole('dialog', { name: 'Versions of board-pack.zip' });
  await versions.getByText('Version 2', { exact: true }).waitFor();
  await versions.getByText('Version 1', { exact: true }).waitFor();
  await env.axe(page, 'versions');
  await env.shot(page, 'versions');
  await versions.getByRole('button', { name: 'Restore version 1' }).click();
  const item = (await ada.get(`/api/v1/items/${root}/children`)).items.find((i) => i.name === 'board-pack.zip');
  await versions.getByText('Version 1 is the current one again (saved as version 3).').waitFor();
  const bytes = await ada.request('GET', `/api/v1/items/${item.id}/content`);
  assert.equal(bytes.text.length, 5 * MiB, 'the current version has the first upload\'s bytes');
  await versions.getByText('Version 3', { exact: true }).waitFor();
  await versions.getByRole('button', { name: 'Close', exact: true }).click();

  // Delete to the trash, undo, delete again; delete the folder; restore the file from the trash
  // and delete the folder for ever.
  await page.getByRole('button', { name: 'Actions for board-pack.zip' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const del = page.getByRole('dialog', { name: 'Delete board-pack.zip?' });
  await env.axe(page, 'delete confirmation');
  await del.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByText('board-pack.zip was moved to the trash.').waitFor();
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.getByText('board-pack.zip is back.').waitFor();
  await page.getByRole('button', { name: 'board-pack.zip', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Actions for board-pack.zip' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog', { name: 'Delete board-pack.zip?' }).getByRole('button', { name: 'Move to trash' }).click();
  await page.getByText('board-pack.zip was moved to the trash.').waitFor();
  await page.getByRole('button', { name: 'Actions for Contracts' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog', { name: 'Delete Contracts?' }).getByRole('button', { name: 'Move to trash' }).click();
  await page.getByText('Contracts was moved to the trash.').waitFor();
  await page.getByRole('link', { name: 'Open the trash' }).click();
  await page.getByRole('heading', { level: 1, name: 'Trash' }).waitFor();
  await page.locator('[data-item]', { hasText: 'board-pack.zip' }).getByText('from “My files”').waitFor();
  await page.locator('[data-item]', { hasText: 'Contracts' }).getByText('folder with everything in it').waitFor();
  await env.axe(page, 'trash');
  await env.shot(page, 'trash');
  await page.getByRole('button', { name: 'Restore board-pack.zip' }).click();
  await page.getByText('board-pack.zip is back in its folder.').waitFor();
  await page.getByRole('button', { name: 'Delete for ever Contracts' }).click();
  const purge = page.getByRole('dialog', { name: 'Delete Contracts for ever?' });
  await env.axe(page, 'delete for ever confirmation');
  await purge.getByRole('button', { name: 'Delete for ever', exact: true }).click();
  await page.getByText('Contracts was deleted for ever.').waitFor();
  await page.getByText('The trash is empty.').waitFor();
  assert.deepEqual((await ada.get(`/api/v1/spaces/${spaces[0].id}/trash`)).items, []);
  assert.deepEqual((await ada.get(`/api/v1/items/${root}/children`)).items.map((i) => i.name), ['board-pack.zip']);

  // The same files page on a phone: one column, no sideways scrolling.
  const phone = await env.newPage({ phone: true });
  await phone.goto('/');
  await phone.getByLabel('Email address').fill(ADA.email);
  await phone.getByLabel('Password').fill(ADA.password);
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await phone.getByRole('button', { name: 'board-pack.zip', exact: true }).waitFor();
  await env.assertNoHorizontalScroll(phone);
  await env.axe(phone, 'files on a phone');
  await env.shot(phone, 'files-phone');
  await phone.getByRole('button', { name: 'Actions for board-pack.zip' }).click();
  await phone.getByRole('button', { name: 'Share', exact: true }).click();
  await phone.getByRole('dialog', { name: 'Share board-pack.zip' }).getByLabel('Add people').waitFor();
  await env.assertNoHorizontalScroll(phone);
  await env.axe(phone, 'share dialog on a phone');
  await env.shot(phone, 'share-dialog-phone');
});
