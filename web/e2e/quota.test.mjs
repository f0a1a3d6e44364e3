// A full space: an upload through an edit link that does not fit the owner's quota fails in the
// upload queue with the server's words — what is full, how much is left, whom to ask — and the
// file that fitted is there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEnv } from './support/env.mjs';
import { heading, ownerOf, shareWith, upload, verifyInBrowser } from './support/recipient.mjs';

const EVE = 'eve@partner.example';
let env;
before(async () => {
  env = await startEnv({ extraArgs: ['--set', 'storage.space_quota=400KiB'] });
});
after(async () => {
  await env?.stop();
});

test('an upload into a full space says what is full and whom to ask', async () => {
  const owner = await ownerOf(env);
  const folder = await owner.api.post(`/api/v1/items/${owner.root}/children`, { name: 'Drop box', kind: 'folder' });
  await upload(owner.api, folder.id, 'brief.txt', Buffer.alloc(100 * 1024, 'b'));
  const { url } = await shareWith(env, owner.api, folder.id, EVE, { role: 'edit' });

  const eve = await env.newPage({ phone: true });
  await eve.goto(url);
  await verifyInBrowser(env, eve, EVE);
  await heading(eve, 'Drop box');

  await eve.getByLabel('Upload files').setInputFiles([
    { name: 'fits.csv', mimeType: 'text/csv', buffer: Buffer.alloc(200 * 1024, 'a') },
    { name: 'too-big.csv', mimeType: 'text/csv', buffer: Buffer.alloc(300 * 1024, 'c') },
  ]);
  await eve.locator('.upload[data-name="fits.csv"]').getByText(/Uploaded/).waitFor();
  const failed = eve.locator('.upload[data-name="too-big.csv"]');
  await failed.getByText(/no room/).waitFor();
  const text = await failed.innerText();
  assert.match(text, /quota of 400 KB/);
  assert.match(text, /100 KB of it is left/);
  assert.match(text, /Ask the person who shared this folder/);
  await eve.getByRole('button', { name: 'fits.csv', exact: true }).waitFor();
  await env.assertNoHorizontalScroll(eve);
  await env.shot(eve, 'upload-refused');
  await env.axe(eve, 'upload refused');

  const { items } = await owner.api.get(`/api/v1/items/${folder.id}/children`);
  assert.deepEqual(items.map((i) => i.name).sort(), ['brief.txt', 'fits.csv']);
});
