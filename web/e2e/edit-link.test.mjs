// An edit link on a folder: the recipient uploads a file (the progress bar reaches done), adds and
// deletes a folder (with confirmation) and renames a file; the owner sees the changes, made by the
// recipient's address.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEnv } from './support/env.mjs';
import { heading, ownerOf, shareWith, upload, verifyInBrowser } from './support/recipient.mjs';

const EVE = 'eve@partner.example';
let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('edit link: upload, new folder, rename and delete inside the shared folder', async () => {
  const owner = await ownerOf(env);
  const folder = await owner.api.post(`/api/v1/items/${owner.root}/children`, { name: 'Project Zephyr', kind: 'folder' });
  await upload(owner.api, folder.id, 'notes.txt', Buffer.from('first notes\n'));
  const { url } = await shareWith(env, owner.api, folder.id, EVE, { role: 'edit', message: 'Add your figures here.' });

  const eve = await env.newPage({ phone: true });
  await eve.goto(url);
  await verifyInBrowser(env, eve, EVE);
  await heading(eve, 'Project Zephyr');
  await eve.getByRole('button', { name: 'notes.txt', exact: true }).waitFor();
  await env.shot(eve, 'folder');
  await env.axe(eve, 'folder');

  // Upload: the queue shows the file reach "Uploaded" with a full bar.
  const figures = Buffer.alloc(256 * 1024, 'a,b,c\n1,2,3\n');
  await eve.getByLabel('Upload files').setInputFiles({ name: 'figures.csv', mimeType: 'text/csv', buffer: figures });
  const row = eve.locator('.upload[data-name="figures.csv"]');
  await row.getByText(/Uploaded/).waitFor();
  assert.equal(await row.locator('progress').getAttribute('value'), '100');
  await eve.getByRole('button', { name: 'figures.csv', exact: true }).waitFor();
  await env.assertNoHorizontalScroll(eve);
  await env.shot(eve, 'uploaded');
  await env.axe(eve, 'uploaded');

  // A new folder, then deleted again after confirming.
  await eve.getByRole('button', { name: 'New folder' }).click();
  await eve.getByLabel('Folder name').fill('Scratch');
  await env.shot(eve, 'new-folder');
  await env.axe(eve, 'new folder dialog');
  await eve.getByRole('button', { name: 'Create' }).click();
  // Into the new folder and back by the breadcrumbs.
  await eve.getByRole('button', { name: 'Scratch', exact: true }).click();
  const crumbs = eve.getByRole('navigation', { name: 'Folder path' });
  await crumbs.getByText('Scratch').waitFor();
  await eve.getByText('Scratch is empty.').waitFor();
  await env.shot(eve, 'subfolder');
  await env.axe(eve, 'subfolder');
  await crumbs.getByRole('button', { name: 'Project Zephyr' }).click();
  await eve.getByRole('button', { name: 'Actions for Scratch' }).click();
  await eve.getByRole('button', { name: 'Delete' }).click();
  const confirm = eve.getByRole('dialog', { name: 'Delete Scratch?' });
  await confirm.getByText(/trash/).waitFor();
  await env.shot(eve, 'delete-confirm');
  await env.axe(eve, 'delete confirmation');
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await eve.getByRole('button', { name: 'Scratch', exact: true }).waitFor({ state: 'detached' });

  // Rename.
  await eve.getByRole('button', { name: 'Actions for notes.txt' }).click();
  await eve.getByRole('button', { name: 'Rename' }).click();
  await eve.getByLabel('New name').fill('notes-from-eve.txt');
  await env.shot(eve, 'rename');
  await env.axe(eve, 'rename dialog');
  await eve.getByRole('button', { name: 'Rename', exact: true }).click();
  await eve.getByRole('button', { name: 'notes-from-eve.txt', exact: true }).waitFor();
  await eve.getByText(`Changed`).first().waitFor();
  await env.shot(eve, 'renamed');
  await env.axe(eve, 'renamed');

  // The owner's view of the folder.
  const { items } = await owner.api.get(`/api/v1/items/${folder.id}/children`);
  const byName = Object.fromEntries(items.map((i) => [i.name, i]));
  assert.ok(byName['figures.csv'], 'the uploaded file is there');
  assert.equal(byName['figures.csv'].size, figures.length);
  assert.equal(byName['figures.csv'].modified_by.display_name, EVE);
  assert.ok(byName['notes-from-eve.txt'], 'the renamed file is there');
  assert.equal(byName['notes.txt'], undefined);
  assert.equal(byName['notes-from-eve.txt'].modified_by.display_name, EVE);
  assert.equal(byName.Scratch, undefined);
});
