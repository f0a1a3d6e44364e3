// "Sessions and tokens" (`/sessions`): every signed-in person sees where they are signed in
// (GET /api/v1/me/sessions) and can sign out any one of those sessions; members also manage
// their API tokens (POST/GET/DELETE /api/v1/me/tokens), a new token being shown once with a
// copy button. The member's app frames it with its nav (MemberHome); a recipient's with the
// recipient's corner (RecipientSessionsPage).
import { useRef, useState } from 'preact/hooks';
import { api, call, problemOf, type Schemas } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field, Select } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { Page } from '../../components/Page';
import { formatDateTime } from '../../lib/format';
import { me, refreshMe, signOut } from '../../state/session';
import { sentence } from '../admin/directory';
import { useLoad } from '../admin/useLoad';
import { describeAgent } from './agent';
import './account.css';
import { LoadFailed } from '../../components/LoadFailed';

type Session = Schemas['SessionInfo'];
type Token = Schemas['ApiToken'];
type Created = Schemas['ApiTokenCreated'];
type Outcome = { kind: 'success' | 'error'; text: string } | null;

function when(value: string | null | undefined, never = 'Not yet'): string {
  return value ? formatDateTime(value) : never;
}

export function SessionsList() {
  const loaded = useLoad(async () => (await call(api.GET('/api/v1/me/sessions'))).sessions);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const end = async (s: Session) => {
    setBusy(s.id);
    try {
      await call(api.DELETE('/api/v1/me/sessions/{id}', { params: { path: { id: s.id } } }));
      if (s.current) {
        // This browser's own session: it is signed out now.
        await signOut().catch(() => undefined);
        await refreshMe();
        window.location.assign('/');
        return;
      }
      setOutcome({
        kind: 'success',
        text: `Signed out ${describeAgent(s.user_agent)} (${s.client || 'unknown address'}). That browser must sign in again.`,
      });
      await loaded.reload();
    } catch (err) {
      setOutcome({ kind: 'error', text: `That session was not signed out. ${sentence(problemOf(err).message)}` });
    } finally {
      setBusy(null);
    }
  };

  if (loaded.loading && !loaded.data) return <Loading what="Loading your sessions" />;
  if (!loaded.data) {
    return (
      <LoadFailed title="Your sessions could not be loaded." problem={loaded.problem} retry={loaded.reload} />
    );
  }
  const sessions = loaded.data;
  return (
    <>
      <div class="outcome" aria-live="polite">
        {outcome && <Notice kind={outcome.kind}>{outcome.text}</Notice>}
      </div>
      {sessions.length === 0 ? (
        <p class="muted">No sessions are open.</p>
      ) : (
        <ul class="list sec-list" aria-label="Your sessions">
          {sessions.map((s) => (
            <li key={s.id} class="sec-entry" data-session={s.id}>
              <div class="sec-main">
                <span class="sec-name" title={s.user_agent}>
                  {describeAgent(s.user_agent)}
                </span>
                {s.current && <span class="badge badge-ok">This browser</span>}
                {s.remembered && <span class="badge">Remembered device</span>}
              </div>
              <dl class="sec-facts">
                <div>
                  <dt>Address</dt>
                  <dd>{s.client || 'Unknown'}</dd>
                </div>
                <div>
                  <dt>Signed in</dt>
                  <dd>
                    {formatDateTime(s.created_at)} {s.method === 'email_code' ? 'with an email code' : 'with a password'}
                  </dd>
                </div>
                <div>
                  <dt>Last used</dt>
                  <dd>{when(s.last_seen_at, 'Not recorded')}</dd>
                </div>
                <div>
                  <dt>Ends</dt>
                  <dd>{formatDateTime(s.expires_at)}</dd>
                </div>
              </dl>
              <div class="sec-actions">
                <button
                  type="button"
                  class={s.current ? '' : 'danger'}
                  disabled={busy !== null}
                  onClick={() => void end(s)}
                >
                  {s.current ? 'Sign out here' : 'Sign out this session'}
                  <span class="visually-hidden"> ({describeAgent(s.user_agent)}, {s.client})</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

const kExpiries: [string, string][] = [
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['365d', '1 year (the longest)'],
];

function scopeWords(scope: string): string {
  if (scope === 'admin') return 'Administration';
  if (scope === 'write') return 'Read and write';
  return 'Read only';
}

export function TokensSection({ admin }: { admin: boolean }) {
  const loaded = useLoad(async () => (await call(api.GET('/api/v1/me/tokens'))).tokens);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'read' | 'write' | 'admin'>('read');
  const [expiresIn, setExpiresIn] = useState('30d');
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const secretRef = useRef<HTMLInputElement>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const token = await call(
        api.POST('/api/v1/me/tokens', { body: { name: name.trim(), scope, expires_in: expiresIn } }),
      );
      setCreated(token);
      setCopied(null);
      setName('');
      window.setTimeout(() => secretRef.current?.focus(), 0);
      await loaded.reload();
    } catch (err) {
      const p = problemOf(err);
      const known = ['name', 'scope', 'expires_in'].includes(p.field ?? '');
      setError({ field: known ? p.field : undefined, message: sentence(p.message) });
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: Token) => {
    setBusy(true);
    try {
      await call(api.DELETE('/api/v1/me/tokens/{id}', { params: { path: { id: t.id } } }));
      setOutcome({ kind: 'success', text: `The token “${t.name}” is revoked: scripts using it are refused from now on.` });
      if (created?.id === t.id) setCreated(null);
      await loaded.reload();
    } catch (err) {
      setOutcome({ kind: 'error', text: `The token “${t.name}” was not revoked. ${sentence(problemOf(err).message)}` });
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  };

  const fieldError = (f: string) => (error?.field === f ? error.message : null);
  const tokens = loaded.data;

  return (
    <>
      <p>
        An API token lets a script or another system use Vestibule as you, without your password: it sends{' '}
        <code>Authorization: Bearer</code> and the token. <em>Read only</em> tokens can look but not change anything;{' '}
        <em>read and write</em> tokens can do what you can, except administration
        {admin ? '; administration tokens can do everything you can as an administrator' : ''}. Every token expires.
      </p>

      {created && (
        <Notice kind="success" title={`Your new token “${created.name}” is ready.`}>
          <p>
            <strong>You will not see this token again.</strong> Copy it now and keep it somewhere safe, such as your
            script's secret settings. If you lose it, revoke it and create a new one.
          </p>
          <div class="field">
            <label for="new-token">New API token</label>
            <input
              id="new-token"
              ref={secretRef}
              class="token-once"
              type="text"
              readOnly
              value={created.token}
              onFocus={(e) => e.currentTarget.select()}
            />
          </div>
          <div class="form-actions">
            <button
              type="button"
              class="primary"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(created.token);
                  setCopied('Copied. Paste it where your script keeps its secrets.');
                } catch {
                  secretRef.current?.focus();
                  secretRef.current?.select();
                  setCopied('This browser did not allow copying: the token is selected, press Ctrl+C (or ⌘C).');
                }
              }}
            >
              Copy token
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              I have copied it
            </button>
          </div>
          <p class="small" role="status">
            {copied}
          </p>
        </Notice>
      )}

      <form class="token-form" noValidate onSubmit={create} aria-labelledby="token-form-h">
        <h3 id="token-form-h">Create a token</h3>
        {error && !error.field && <Notice kind="error">{error.message}</Notice>}
        <Field
          id="token-name"
          label="Name"
          hint="What uses it, like “nightly backup”, so you recognize it later."
          type="text"
          autoComplete="off"
          maxLength={100}
          required
          value={name}
          error={fieldError('name')}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <Select
          id="token-scope"
          label="What it may do"
          value={scope}
          error={fieldError('scope')}
          onChange={(e) => setScope(e.currentTarget.value as 'read' | 'write' | 'admin')}
        >
          <option value="read">Read only: look at files and lists, change nothing</option>
          <option value="write">Read and write: everything you can do, except administration</option>
          {admin && <option value="admin">Administration: everything, including the admin center</option>}
        </Select>
        <Select
          id="token-expiry"
          label="Expires after"
          value={expiresIn}
          error={fieldError('expires_in')}
          onChange={(e) => setExpiresIn(e.currentTarget.value)}
        >
          {kExpiries.map(([value, words]) => (
            <option key={value} value={value}>
              {words}
            </option>
          ))}
        </Select>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>

      <h3>Your tokens</h3>
      <div class="outcome" aria-live="polite">
        {outcome && <Notice kind={outcome.kind}>{outcome.text}</Notice>}
      </div>
      {tokens === null ? (
        loaded.problem ? (
          <LoadFailed title="Your tokens could not be loaded." problem={loaded.problem} retry={loaded.reload} />
        ) : (
          <Loading what="Loading your tokens" />
        )
      ) : tokens.length === 0 ? (
        <p class="muted">You have no API tokens.</p>
      ) : (
        <ul class="list sec-list" aria-label="Your API tokens">
          {tokens.map((t) => (
            <li key={t.id} class="sec-entry" data-token={t.id}>
              <div class="sec-main">
                <span class="sec-name">{t.name}</span>
                <span class={t.scope === 'admin' ? 'badge badge-warn' : 'badge'}>{scopeWords(t.scope)}</span>
                {t.expired && <span class="badge badge-bad">Expired</span>}
              </div>
              <dl class="sec-facts">
                <div>
                  <dt>Created</dt>
                  <dd>{formatDateTime(t.created_at)}</dd>
                </div>
                <div>
                  <dt>Last used</dt>
                  <dd>{when(t.last_used_at, 'Never')}</dd>
                </div>
                <div>
                  <dt>{t.expired ? 'Expired' : 'Expires'}</dt>
                  <dd>{formatDateTime(t.expires_at)}</dd>
                </div>
              </dl>
              <div class="sec-actions">
                <button type="button" class="danger" disabled={busy} onClick={() => setRevoking(t)}>
                  Revoke <span class="visually-hidden">the token {t.name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}

      <Dialog title={`Revoke “${revoking?.name ?? ''}”?`} open={revoking !== null} onClose={() => setRevoking(null)}>
        {revoking && (
          <>
            <p>
              Scripts using <strong>{revoking.name}</strong> are refused from their next request. This cannot be
              undone; create a new token if you need one again.
            </p>
            <div class="form-actions">
              <button type="button" class="primary danger" disabled={busy} onClick={() => void revoke(revoking)}>
                Revoke token
              </button>
              <button type="button" onClick={() => setRevoking(null)}>
                Cancel
              </button>
            </div>
          </>
        )}
      </Dialog>
    </>
  );
}

// The page's content: sessions for everyone, tokens for members.
export function SessionsAndTokens() {
  const who = me.value;
  const member = who?.kind === 'member';
  return (
    <div class="sessions-page">
      <h1>{member ? 'Sessions and tokens' : 'Your sessions'}</h1>
      <section aria-labelledby="sessions-h">
        <h2 id="sessions-h">Where you are signed in</h2>
        <p class="muted">
          Each browser or device you signed in with. If you don't recognize one, sign it out: it must sign in again
          {member ? ' with your password' : ' with a new code'}.
        </p>
        <SessionsList />
      </section>
      {member && (
        <section aria-labelledby="tokens-h">
          <h2 id="tokens-h">API tokens</h2>
          <TokensSection admin={who?.role === 'admin'} />
        </section>
      )}
    </div>
  );
}

// A verified recipient's or guest's frame.
export function RecipientSessionsPage() {
  const who = me.value;
  return (
    <Page
      title="Your sessions"
      narrow
      nav={<a href="/">Shared with me</a>}
      account={
        <div class="rcp-account">
          {who && (
            <span class="rcp-who" title={who.email}>
              {who.email}
            </span>
          )}
          <button type="button" class="link-button" onClick={() => void signOut().then(() => window.location.assign('/'))}>
            Sign out
          </button>
        </div>
      }
    >
      <SessionsAndTokens />
    </Page>
  );
}
