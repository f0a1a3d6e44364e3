// A recipient outside the organization opens the invitation on a phone, proves the invited
// address with the emailed code, and sees a text file, an image and a PDF in the browser, then
// downloads the exact bytes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { codeOf, startEnv } from './support/env.mjs';
import { heading, mailCount, makePdf, makePng, ownerOf, sha256, shareWith, upload, waitForNew } from './support/recipient.mjs';

const EVE = 'eve@partner.example';
let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

test('an invited address verifies with a code and opens text, image and PDF', async () => {
  const owner = await ownerOf(env);
  const text = Buffer.from('Hello Eve,\nhere is the plan for the quarter.\n');
  const png = makePng();
  const pdf = makePdf();
  const notes = await upload(owner.api, owner.root, 'notes.txt', text);
  const image = await upload(owner.api, owner.root, 'pixel.png', png);
  const plan = await upload(owner.api, owner.root, 'plan.pdf', pdf);
  const first = await shareWith(env, owner.api, notes.id, EVE, { message: 'The notes from Tuesday' });
  const second = await shareWith(env, owner.api, image.id, EVE, { expires_in: '30d' });
  const third = await shareWith(env, owner.api, plan.id, EVE);
  assert.match(first.url, /\?email=eve%40partner\.example$|\?email=eve@partner\.example$/);

  const page = await env.newPage({ phone: true });
  await page.goto(first.url);

  // The address, prefilled from the invitation.
  await heading(page, /Ada Lovelace shared notes\.txt with you/);
  assert.equal(await page.getByLabel('Your email address').inputValue(), EVE);
  await page.getByText('The notes from Tuesday').waitFor();
  await page.getByText('To open it, confirm your email address.').waitFor();
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'address');
  await env.axe(page, 'address');

  // Code sent: where, until when, resend with a visible countdown.
  const seen = await mailCount(env);
  await page.getByRole('button', { name: 'Send code' }).click();
  await heading(page, 'Check your email');
  await page.getByText(/We sent an? \d+-digit code to e\*+@partner\.example\./).waitFor();
  await page.getByText(/It expires at \d\d:\d\d \(in (10|9) minutes\)/).waitFor();
  await page.getByText(/Check spam/).waitFor();
  const codeField = page.getByLabel('Code from the email');
  assert.equal(await codeField.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await codeField.getAttribute('inputmode'), 'numeric');
  // The remembered period is the policy's (30 days unless changed).
  await page.getByLabel('Remember this device for 30 days').check();
  assert.ok(await page.getByRole('button', { name: 'Resend code' }).isDisabled());
  await page.getByText(/You can ask for a new code in 0:\d\d/).waitFor();
  await page.getByRole('button', { name: 'Use a different address' }).waitFor();
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'code-sent');
  await env.axe(page, 'code sent');

  const mail = await waitForNew(env, seen, (m) => m.to.includes(EVE) && /code/i.test(m.subject));
  const code = codeOf(mail);

  // A wrong code says so and keeps the field.
  const wrong = code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
  await codeField.fill(wrong);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByText(/That code isn't right/).waitFor();
  await env.shot(page, 'wrong-code');
  await env.axe(page, 'wrong code');

  // The code pasted as it is often copied: in groups.
  await codeField.fill(`${code.slice(0, 4)} ${code.slice(4)}`);
  assert.equal(await codeField.inputValue(), code);
  await page.getByRole('button', { name: 'Open', exact: true }).click();

  // The text file.
  await heading(page, 'notes.txt');
  await page.getByText('here is the plan for the quarter.').waitFor();
  await page.getByText(/Shared by Ada Lovelace/).waitFor();
  await page.getByRole('link', { name: 'Shared with me' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'open-text');
  await env.axe(page, 'open text');

  // The download is the exact bytes.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'notes.txt');
  assert.equal(sha256(await readFile(await download.path())), sha256(text));

  // The image, through its own invitation: the same verified session opens it.
  await page.goto(second.url);
  await heading(page, 'pixel.png');
  const img = page.getByRole('img', { name: 'pixel.png' });
  await img.waitFor();
  await page.waitForFunction(() => {
    const el = document.querySelector('.viewer-image img');
    return el instanceof HTMLImageElement && el.complete && el.naturalWidth > 0;
  });
  assert.equal(await img.evaluate((el) => el.naturalWidth), 48);
  await page.getByText(/^You can open this until \d{1,2}\s[A-Z][a-z]{2}(\s\d{4})?\.$/).waitFor();
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'open-image');
  await env.axe(page, 'open image');

  // The PDF, drawn by pdf.js on a canvas with something on it.
  await page.goto(third.url);
  await heading(page, 'plan.pdf');
  await page.locator('.pdf-pages[data-state="ready"] canvas').first().waitFor();
  const inked = await page.locator('.pdf-pages canvas').first().evaluate((canvas) => {
    const c = /** @type {HTMLCanvasElement} */ (canvas);
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) dark++;
    return dark;
  });
  assert.ok(inked > 100, `the PDF page has ink (${inked} non-white pixels)`);
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'open-pdf');
  await env.axe(page, 'open pdf');

  const [pdfDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download' }).click(),
  ]);
  assert.equal(sha256(await readFile(await pdfDownload.path())), sha256(pdf));

  // Everything shared with the address, one tap from any item; each entry opens its page.
  await page.getByRole('link', { name: 'Shared with me' }).click();
  await heading(page, 'Shared with me');
  for (const name of ['notes.txt', 'pixel.png', 'plan.pdf']) await page.getByRole('link', { name }).waitFor();
  await env.assertNoHorizontalScroll(page);
  await env.shot(page, 'shared-with-me');
  await env.axe(page, 'shared with me');
  await page.getByRole('link', { name: 'notes.txt' }).click();
  await heading(page, 'notes.txt');
  assert.match(new URL(page.url()).pathname, /^\/shared\/\d+$/);
  await page.getByText('here is the plan for the quarter.').waitFor();
});
