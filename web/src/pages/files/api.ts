// The member's calls: the typed client for what docs/openapi.json describes, and small local
// interfaces (through rawJson) for the endpoints of API-CONTRACT.md the server is adding now
// (sharing options, recipient checks, "Shared by me", the access-request list, version restore,
// resend, upload limits). Each of those answers `null` while the server does not have it yet, so a
// page can say so in words instead of failing.
import { api, call, Problem, rawJson, type Schemas } from '../../api/client';
import { me } from '../../state/session';

export type Item = Schemas['Item'];
export type Space = Schemas['Space'];
export type FileVersion = Schemas['FileVersion'];
export type AccessReport = Schemas['AccessReport'];
export type AccessLink = Schemas['AccessLink'];
export type AccessGrant = Schemas['AccessGrant'];
export type Link = Schemas['Link'];
export type LinkRecipient = Schemas['LinkRecipient'];
export type LinkCreated = Schemas['LinkCreated'];
export type LinkCreate = Schemas['LinkCreate'];
export type LinkUpdate = Schemas['LinkUpdate'];
export type RefusedRecipient = Schemas['RefusedRecipient'];
export type LinkKind = Link['kind'];
export type LinkRole = Link['role'];

// A route the running server does not have yet: 404 "no such endpoint: …" (or 405).
export function missingRoute(e: unknown): boolean {
  if (!(e instanceof Problem)) return false;
  return e.status === 405 || (e.status === 404 && /no such endpoint/i.test(e.message));
}

async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (missingRoute(e)) return null;
    throw e;
  }
}

export function postJson<T>(url: string, body: unknown, method = 'POST'): Promise<T> {
  return rawJson<T>(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

// ---- files --------------------------------------------------------------------------------

export const contentUrl = (id: number) => `/api/v1/items/${id}/content`;
export const viewUrl = (id: number) => `/api/v1/items/${id}/view`;
export const versionUrl = (id: number, v: number) => `/api/v1/items/${id}/versions/${v}/content`;

export async function listSpaces(): Promise<Space[]> {
  return (await call(api.GET('/api/v1/spaces'))).spaces;
}

export function getItem(id: number): Promise<Item> {
  return call(api.GET('/api/v1/items/{id}', { params: { path: { id } } }));
}

export async function listChildren(id: number): Promise<Item[]> {
  return (await call(api.GET('/api/v1/items/{id}/children', { params: { path: { id } } }))).items;
}

export function createFolder(parent: number, name: string): Promise<Item> {
  return call(api.POST('/api/v1/items/{id}/children', { params: { path: { id: parent } }, body: { name, kind: 'folder' } }));
}

export function updateItem(id: number, change: { name?: string; parent_id?: number }): Promise<Item> {
  return call(api.PATCH('/api/v1/items/{id}', { params: { path: { id } }, body: change }));
}

export async function trashItem(id: number): Promise<void> {
  await call(api.DELETE('/api/v1/items/{id}', { params: { path: { id } } }));
}

export function restoreItem(id: number): Promise<Item> {
  return call(api.POST('/api/v1/items/{id}/restore', { params: { path: { id } }, body: {} }));
}

export async function purgeItem(id: number): Promise<void> {
  await call(api.DELETE('/api/v1/trash/{id}', { params: { path: { id } } }));
}

export async function listTrash(space: number): Promise<Item[]> {
  return (await call(api.GET('/api/v1/spaces/{id}/trash', { params: { path: { id: space } } }))).items;
}

export async function listVersions(id: number): Promise<FileVersion[]> {
  return (await call(api.GET('/api/v1/items/{id}/versions', { params: { path: { id } } }))).versions;
}

// null: the server cannot restore versions yet.
export function restoreVersion(id: number, version: number): Promise<Item | null> {
  return optional(call(api.POST('/api/v1/items/{id}/versions/{version}/restore', { params: { path: { id, version } } })));
}

// The largest upload the server takes (GET /api/v1/me `limits`), when it says.
export function maxUploadBytes(): number | undefined {
  const n = me.value?.limits?.max_upload_bytes;
  return typeof n === 'number' && n > 0 ? n : undefined;
}

// ---- sharing ------------------------------------------------------------------------------

export type KindOption = Schemas['KindOption'];
export type ExpiryLimits = Schemas['ExpiryOption'];
export type SharingOptions = Schemas['SharingOptions'];
export type RecipientCheck = Schemas['RecipientCheck'];
export type RecipientStatus = RecipientCheck['status'];

const kNoLimits: ExpiryLimits = { default: null, max: null, max_at: null };

// What the dialog offers when the server cannot say yet: every kind, no limits; the server still
// checks everything when the link is created.
export const kFallbackOptions: SharingOptions = {
  kinds: (['specific', 'anyone', 'organization', 'existing'] as LinkKind[]).map((kind) => ({ kind, allowed: true })),
  default_kind: 'specific',
  default_role: 'view',
  roles: ['view', 'edit'],
  expiry: { anyone: kNoLimits, specific: kNoLimits, organization: kNoLimits },
  anyone_requires_password: false,
  min_password_length: 8,
  email_code_enabled: true,
};

// null: the server cannot say yet.
export function sharingOptions(id: number): Promise<SharingOptions | null> {
  return optional(call(api.GET('/api/v1/items/{id}/sharing-options', { params: { path: { id } } })));
}

// null: the server cannot check addresses yet.
export async function checkRecipients(id: number, addresses: string[]): Promise<RecipientCheck[] | null> {
  const r = await optional(
    call(api.POST('/api/v1/items/{id}/recipients/check', { params: { path: { id } }, body: { addresses, kind: 'specific' } })),
  );
  return r ? r.recipients : null;
}

export function createLink(id: number, body: LinkCreate): Promise<LinkCreated> {
  return call(api.POST('/api/v1/items/{id}/links', { params: { path: { id } }, body }));
}

export function accessOf(id: number): Promise<AccessReport> {
  return call(api.GET('/api/v1/items/{id}/access', { params: { path: { id } } }));
}

export function updateLink(id: number, change: LinkUpdate): Promise<Link> {
  return call(api.PATCH('/api/v1/links/{id}', { params: { path: { id } }, body: change }));
}

export async function revokeLink(id: number): Promise<void> {
  await call(api.DELETE('/api/v1/links/{id}', { params: { path: { id } } }));
}

export async function removeRecipient(id: number, address: string): Promise<void> {
  await call(api.DELETE('/api/v1/links/{id}/recipients/{address}', { params: { path: { id, address } } }));
}

export async function removeGrant(id: number): Promise<void> {
  await call(api.DELETE('/api/v1/grants/{id}', { params: { path: { id } } }));
}

// false: the server cannot resend yet.
export async function resendInvitation(link: number, address: string): Promise<boolean> {
  const r = await optional(
    call(api.POST('/api/v1/links/{id}/recipients/{address}/resend', { params: { path: { id: link, address } } })),
  );
  return r !== null;
}

export type SharedLink = Schemas['SharedByMeLink'];

// null: "Shared by me" is not on the server yet.
export async function myShares(): Promise<SharedLink[] | null> {
  const r = await optional(call(api.GET('/api/v1/me/shares')));
  return r ? r.links : null;
}

// ---- access requests ----------------------------------------------------------------------

export interface AccessRequest {
  id: number;
  link_id: number;
  item_id: number;
  address: string;
  message: string;
  state: 'pending' | 'approved' | 'declined';
  created_at: string;
  decided_at: string | null;
  item?: { id: number; name: string };
}

// null: the list of all requests is not on the server yet.
export async function myAccessRequests(state: 'pending' | 'all' = 'pending'): Promise<AccessRequest[] | null> {
  const r = await optional(call(api.GET('/api/v1/access-requests', { params: { query: { state } } })));
  return r ? (r.requests as AccessRequest[]) : null;
}

export async function itemAccessRequests(id: number): Promise<AccessRequest[]> {
  const r = await rawJson<{ requests: AccessRequest[] }>(`/api/v1/items/${id}/access-requests`);
  return r.requests ?? [];
}

export function decideRequest(id: number, decision: 'approve' | 'decline'): Promise<{ state?: string; link?: Link }> {
  return postJson(`/api/v1/access-requests/${id}/${decision}`, {});
}
