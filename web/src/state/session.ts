// Who this browser is signed in as (GET /api/v1/me): a member, or a verified external recipient,
// or nobody. One small store; pages read `me.value` and call refresh() after signing in or out.
import { signal } from '@preact/signals';
import { api, call, type Schemas } from '../api/client';

export type Me = Schemas['Me'];

export const me = signal<Me | null>(null);
export const meLoaded = signal(false);

export async function refreshMe(): Promise<Me | null> {
  try {
    const { data, response } = await api.GET('/api/v1/me');
    me.value = response.ok && data ? (data as Me) : null;
  } catch {
    me.value = null;
  }
  meLoaded.value = true;
  return me.value;
}

export async function signIn(email: string, password: string): Promise<Me | null> {
  await call(api.POST('/api/v1/session', { body: { email, password } }));
  return refreshMe();
}

// Ends the member session and the recipient session of this browser alike.
export async function signOut(): Promise<void> {
  try {
    await api.DELETE('/api/v1/session');
  } finally {
    me.value = null;
  }
}
