// The calls of the recipient's page, against one base: `/api/v1/shares/{token}` for a link opened
// from an email, `/api/v1/shared-with-me/{linkId}` for the same link reached from "Shared with me"
// (tokens are stored only as hashes). Everything under the base is the same for both, so the typed
// client's per-route paths cannot express it; the shapes are the schema's own types
// (docs/openapi.json), so a renamed field still breaks the build.
import { Problem, problemOf, type Schemas } from '../../api/client';
import type { operations } from '../../api/schema';

export type SharedItem = Schemas['SharedItem'];
export type Summary = Schemas['ShareSummary'];
export type Reason = NonNullable<Summary['reason']>;
// How a link ended (the `link` of a 410).
export type GoneLink = Schemas['DeadLink']['link'];

export type Opened =
  | { kind: 'ok'; summary: Summary }
  | { kind: 'gone'; link: GoneLink | null; message: string }
  | { kind: 'unknown' };

type Json<O, S extends number> = O extends { responses: { [K in S]: { content: { 'application/json': infer B } } } }
  ? B
  : never;
export type CodeSent = Json<operations['requestVerificationCode'], 202>;
export type Confirmed = Json<operations['confirmVerificationCode'], 200>;

// Asking for and confirming an emailed code: a link's (LinkApi) or sign-in's without a link
// (SignInCodeApi). `base` keys the code step kept across a reload of the page.
export interface CodeApi {
  readonly base: string;
  requestCode(email: string): Promise<CodeSent>;
  confirmCode(email: string, code: string, remember: boolean): Promise<unknown>;
}

// The server's clock minus the browser's, learnt from the Date header of answers (0 until known).
// Absolute server times (a link's expiry, when an address was proved) are compared with
// serverNow(), so a browser whose clock is off still says the right number of days.
let skewMs = 0;
export function serverNow(): number {
  return Date.now() + skewMs;
}

function learnClock(response: Response): void {
  const date = Date.parse(response.headers.get('Date') ?? '');
  if (!Number.isNaN(date)) skewMs = date - Date.now();
}

const kUnreachable = 'Vestibule could not be reached. Check your connection, then try again.';

async function send(url: string, init: RequestInit = {}): Promise<{ response: Response; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, {
      credentials: 'same-origin',
      ...init,
      headers: { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    });
  } catch {
    throw new Problem(0, 'unreachable', kUnreachable);
  }
  learnClock(response);
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { response, body };
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const { response, body } = await send(url, init);
  if (!response.ok) throw problemOf(body, response);
  return body as T;
}

// The summary asked for as soon as this chunk runs, before the first render (it is the one call
// between the page's code arriving and its first state): taken once by LinkApi.open().
const early = new Map<string, Promise<{ response: Response; body: unknown }>>();

export function baseOf(props: { token?: string; linkId?: string }): string {
  return props.linkId
    ? `/api/v1/shared-with-me/${encodeURIComponent(props.linkId)}`
    : `/api/v1/shares/${encodeURIComponent(props.token ?? '')}`;
}

export function openEarly(path: string): void {
  const m = /^\/(s|shared)\/([^/?#]+)\/?$/.exec(path);
  if (!m) return;
  const raw = decodeURIComponent(m[2]!);
  const base = baseOf(m[1] === 's' ? { token: raw } : { linkId: raw });
  const pending = send(base);
  pending.catch(() => undefined);
  early.set(base, pending);
}

const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

// Sign-in with a code sent to the address, without a link: POST /api/v1/session/code and
// …/confirm. The session it gives is the one a link's code gives.
export class SignInCodeApi implements CodeApi {
  readonly base = '/api/v1/session/code';

  requestCode(email: string): Promise<CodeSent> {
    return json(this.base, post({ email }));
  }

  confirmCode(email: string, code: string, remember: boolean): Promise<unknown> {
    return json(`${this.base}/confirm`, post({ email, code, remember }));
  }
}

export class LinkApi implements CodeApi {
  readonly base: string;
  readonly byLinkId: boolean;
  constructor(props: { token?: string; linkId?: string }) {
    this.base = baseOf(props);
    this.byLinkId = Boolean(props.linkId);
  }

  // GET the link's summary: what it is, what it needs, or why it no longer opens.
  async open(): Promise<Opened> {
    const pending = early.get(this.base);
    early.delete(this.base);
    const { response, body } = await (pending ?? send(this.base));
    if (response.ok) return { kind: 'ok', summary: body as Summary };
    if (response.status === 404) return { kind: 'unknown' };
    if (response.status === 410) {
      const b = body as { link?: GoneLink; error?: { message?: string } } | undefined;
      return { kind: 'gone', link: b?.link ?? null, message: b?.error?.message ?? '' };
    }
    throw problemOf(body, response);
  }

  requestCode(email: string): Promise<CodeSent> {
    return json(`${this.base}/verification`, post({ email }));
  }

  confirmCode(email: string, code: string, remember: boolean): Promise<Confirmed> {
    return json(`${this.base}/verification/confirm`, post({ email, code, remember }));
  }

  proveLinkPassword(password: string): Promise<unknown> {
    return json(`${this.base}/password`, post({ password }));
  }

  requestAccess(email: string, message: string): Promise<{ status?: string; message?: string }> {
    return json(`${this.base}/access-requests`, post({ email, message }));
  }

  children(folderId: number): Promise<{ items: SharedItem[] }> {
    return json(`${this.base}/items/${folderId}/children`);
  }

  createFolder(parentId: number, name: string): Promise<SharedItem> {
    return json(`${this.base}/items/${parentId}/children`, post({ name, kind: 'folder' }));
  }

  rename(id: number, name: string): Promise<SharedItem> {
    return json(`${this.base}/items/${id}`, { method: 'PATCH', body: JSON.stringify({ name }) });
  }

  remove(id: number): Promise<unknown> {
    return json(`${this.base}/items/${id}`, { method: 'DELETE' });
  }

  // Asks (HEAD, no bytes) whether a download would be answered now, before the browser is sent
  // to it: a revoked link then shows its page instead of a downloaded error.
  async canDownload(url: string): Promise<Problem | null> {
    const { response } = await send(url, { method: 'HEAD' });
    if (response.ok) return null;
    return problemOf(undefined, response);
  }

  // `rootId` is the shared item: it is addressed by the base itself.
  viewUrl(id: number, rootId: number): string {
    return id === rootId ? `${this.base}/view` : `${this.base}/items/${id}/view`;
  }

  contentUrl(id: number, rootId: number): string {
    return id === rootId ? `${this.base}/content` : `${this.base}/items/${id}/content`;
  }

  fileUrl(folderId: number, name: string): string {
    return `${this.base}/items/${folderId}/files/${encodeURIComponent(name)}`;
  }
}
