// What the recipient journeys share: small real files (a PNG and a one-page PDF written here),
// a member who shares through the API, and the steps of proving an address in the browser.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import path from 'node:path';
import { artifactsDir, codeOf, shareUrlOf } from './env.mjs';

export const PASSWORD = 'Member-passw0rd-for-tests';

const kCrcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = kCrcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// A width × height RGB PNG with a colour gradient.
export function makePng(width = 48, height = 32) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // no filter
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round((255 * x) / width);
      raw[row + 2 + x * 3] = Math.round((255 * y) / height);
      raw[row + 3 + x * 3] = 160;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// A valid one-page PDF: a line of text and a filled box, with a correct cross-reference table.
export function makePdf(text = 'Quarterly plan for Eve') {
  const content = `0.12 0.37 0.66 rg 30 40 240 24 re f\nBT /F1 20 Tf 30 120 Td (${text}) Tj ET\n`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf);
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// A member with a personal space; returns { api, root } (root: the space's root folder id).
export async function ownerOf(env, email = 'ada@example.org', name = 'Ada Lovelace') {
  const api = await env.addMember(email, PASSWORD, name, 'user');
  const { spaces } = await api.get('/api/v1/spaces');
  const personal = spaces.find((s) => s.kind === 'personal') ?? spaces[0];
  return { api, root: personal.root_item_id, email, name };
}

export async function upload(api, folderId, name, bytes) {
  return api.ok('PUT', `/api/v1/items/${folderId}/files/${encodeURIComponent(name)}`, new Uint8Array(bytes), [200, 201]);
}

// Shares item `id` with `to` (a specific link) and returns { link, url } with the invitation's URL.
export async function shareWith(env, api, id, to, extra = {}) {
  const before = (await env.messages()).length;
  const link = await api.post(`/api/v1/items/${id}/links`, {
    kind: 'specific',
    role: 'view',
    recipients: [{ address: to }],
    ...extra,
  });
  const [mail] = await env.waitForMail({
    to,
    where: (m) => m.text.includes(link.url) || m.text.includes(`/s/${link.token}`),
  });
  assert.ok((await env.messages()).length > before);
  return { link, mail, url: shareUrlOf(mail) };
}

// The number of messages the sink holds now (a fence for "a later mail").
export async function mailCount(env) {
  return (await env.messages()).length;
}

// In the browser: type the address (unless prefilled), send the code, read it, enter it, open.
export async function verifyInBrowser(env, page, email, { remember = false } = {}) {
  const field = page.getByLabel('Your email address');
  await field.waitFor();
  if ((await field.inputValue()) !== email) await field.fill(email);
  const seen = await mailCount(env);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code from the email').waitFor();
  const code = await codeAfter(env, email, seen);
  await page.getByLabel('Code from the email').fill(code);
  if (remember) await page.getByLabel(/Remember this device/).check();
  await page.getByRole('button', { name: 'Open', exact: true }).click();
}

// The code of the first code mail to `email` among the messages after the first `seen`.
export async function codeAfter(env, email, seen) {
  const mail = await waitForNew(env, seen, (m) => m.to.includes(email) && /code/i.test(m.subject));
  return codeOf(mail);
}

// The first message after the first `seen` that matches.
export async function waitForNew(env, seen, match, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await env.messages();
    const found = all.slice(seen).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no new matching mail after ${seen}: ${JSON.stringify(all.slice(seen).map((m) => [m.to, m.subject]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The heading of the page (the state's h1) once it says `text`.
// On a timeout the page is kept as failed-<journey>-<n>.png beside the other screenshots.
export async function heading(page, text) {
  const h = page.getByRole('heading', { level: 1, name: text });
  try {
    await h.waitFor();
  } catch (e) {
    const journey = path.basename(process.argv[1] ?? 'journey').replace(/\.test\.mjs$/, '');
    await page.screenshot({ path: path.join(artifactsDir(), `failed-${journey}-${Date.now()}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
  return h;
}
