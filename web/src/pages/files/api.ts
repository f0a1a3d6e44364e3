// The member's calls, all through the typed client (docs/openapi.json): a route or field renamed on
// the server breaks the build, not a page.
import { api, call, type Schemas } from '../../api/client';
import { me } from '../../state/session';

export type Item = Schemas['Item'];
// An item as a listing gives it: with `shared`.
export type ListedItem = Schemas['ListedItem'];
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

export async function listChildren(id: number): Promise<ListedItem[]> {
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

// Makes a kept version the current one again (as a new version); the file as it now is.
export function restoreVersion(id: number, version: number): Promise<Item> {
  return call(api.POST('/api/v1/items/{id}/versions/{version}/restore', { params: { path: { id, version } } }));
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

export function sharingOptions(id: number): Promise<SharingOptions> {
  return call(api.GET('/api/v1/items/{id}/sharing-options', { params: { path: { id } } }));
}

export async function checkRecipients(id: number, addresses: string[]): Promise<RecipientCheck[]> {
  const r = await call(api.POST('/api/v1/items/{id}/recipients/check', { params: { path: { id } }, body: { addresses, kind: 'specific' } }));
  return r.recipients;
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

// Queues a new invitation to one recipient; the recipient with the new delivery.
export function resendInvitation(link: number, address: string): Promise<LinkRecipient> {
  return call(api.POST('/api/v1/links/{id}/recipients/{address}/resend', { params: { path: { id: link, address } } }));
}

export type SharedLink = Schemas['SharedByMeLink'];

export async function myShares(): Promise<SharedLink[]> {
  return (await call(api.GET('/api/v1/me/shares'))).links;
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

export async function myAccessRequests(state: 'pending' | 'all' = 'pending'): Promise<AccessRequest[]> {
  const r = await call(api.GET('/api/v1/access-requests', { params: { query: { state } } }));
  return r.requests as AccessRequest[];
}

export async function itemAccessRequests(id: number): Promise<AccessRequest[]> {
  const r = await call(api.GET('/api/v1/items/{id}/access-requests', { params: { path: { id } } }));
  return (r.requests ?? []) as AccessRequest[];
}

export async function decideRequest(id: number, decision: 'approve' | 'decline'): Promise<void> {
  if (decision === 'approve') await call(api.POST('/api/v1/access-requests/{id}/approve', { params: { path: { id } } }));
  else await call(api.POST('/api/v1/access-requests/{id}/decline', { params: { path: { id } } }));
}
