// A link that blocks download: the file is shown in the browser, no download control is offered,
// and the content route refuses the bytes even when asked directly from the page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEnv } from './support/env.mjs';
import { heading, makePng, ownerOf, shareWith, upload, verifyInBrowser } from './support/recipient.mjs';

const EVE = 'eve@partner.example';
let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('view only: the viewer, no Download, and the content route answers 403', async () => {
  const owner = await ownerOf(env);
  const image = await upload(owner.api, owner.root, 'floorplan.png', makePng(64, 40));
  const { url, link } = await shareWith(env, owner.api, image.id, EVE, { block_download: true });

  const eve = await env.newPage({ phone: true });
  await eve.goto(url);
  await verifyInBrowser(env, eve, EVE);
  await heading(eve, 'floorplan.png');
  await eve.waitForFunction(() => {
    const el = document.querySelector('.viewer-image img');
    return el instanceof HTMLImageElement && el.complete && el.naturalWidth > 0;
  });
  await eve.getByText('The owner allows viewing only.').waitFor();
  assert.equal(await eve.getByRole('link', { name: /Download/ }).count(), 0);
  assert.equal(await eve.getByRole('button', { name: /Download/ }).count(), 0);
  await env.assertNoHorizontalScroll(eve);
  await env.shot(eve, 'view-only');
  await env.axe(eve, 'view only');

  const statuses = await eve.evaluate(async (token) => {
    const base = `/api/v1/shares/${token}`;
    const content = await fetch(`${base}/content`, { credentials: 'same-origin' });
    const view = await fetch(`${base}/view`, { credentials: 'same-origin' });
    return { content: content.status, view: view.status };
  }, link.token);
  assert.deepEqual(statuses, { content: 403, view: 200 });
});
