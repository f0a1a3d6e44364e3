// Members: the organization's accounts; add one (email, name, password, role), disable or
// enable it, or reset its password (the new one is shown once, with a button to copy it).
import { useRef, useState } from 'preact/hooks';
import { api, call, problemOf, type Schemas } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field, Select } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { me } from '../../state/session';
import { sentence } from './directory';
import { useLoad } from './useLoad';
import { LoadFailed } from '../../components/LoadFailed';

type User = Schemas['UserWithState'];
type Result = { kind: 'success' | 'error'; text: string };

async function patchUser(id: number, body: Schemas['UserUpdate']) {
  return call(api.PATCH('/api/v1/admin/users/{id}', { params: { path: { id } }, body }));
}

async function resetPassword(id: number) {
  return call(api.POST('/api/v1/admin/users/{id}/reset-password', { params: { path: { id } }, body: {} }));
}

// Servers older than API-CONTRACT.md answer these routes with 404 "no such endpoint": say what
// the admin can do instead.
function notOnThisServer(err: unknown, what: string, cli: string): string {
  const p = problemOf(err);
  if ((p.status === 404 && /endpoint/i.test(p.message)) || p.status === 405) {
    return `This server cannot ${what} from the admin center yet. On the server, run: ${cli}`;
  }
  return sentence(p.message);
}

function nameOf(u: { display_name: string; email: string }): string {
  return u.display_name || u.email;
}

export function MembersTab() {
  const loaded = useLoad(async () => {
    const data = await call(api.GET('/api/v1/admin/users'));
    return [...data.users].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  });
  const [adding, setAdding] = useState(false);
  const [disabling, setDisabling] = useState<User | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [busy, setBusy] = useState(false);
  const resultRef = useRef<HTMLDivElement>(null);
  const myId = me.value?.id;

  const announce = (r: Result) => {
    setResult(r);
    window.setTimeout(() => resultRef.current?.focus(), 0);
  };

  const setDisabled = async (u: User, disabled: boolean) => {
    setBusy(true);
    try {
      await patchUser(u.id, { disabled });
      announce({
        kind: 'success',
        text: disabled
          ? `${nameOf(u)}’s account is disabled: they were signed out everywhere and cannot sign in until it is enabled again. Their files stay.`
          : `${nameOf(u)}’s account is enabled: they can sign in again.`,
      });
      await loaded.reload();
    } catch (err) {
      const cli = `vestibule user ${disabled ? 'disable' : 'enable'} --email ${u.email}`;
      announce({
        kind: 'error',
        text: `Nothing changed for ${nameOf(u)}. ${notOnThisServer(err, `${disabled ? 'disable' : 'enable'} accounts`, cli)}`,
      });
    } finally {
      setBusy(false);
      setDisabling(null);
    }
  };

  if (loaded.loading && !loaded.data) return <Loading what="Loading the members" />;
  if (!loaded.data) {
    return (
      <LoadFailed title="The members could not be loaded." problem={loaded.problem} retry={loaded.reload} />
    );
  }
  const users = loaded.data;

  return (
    <>
      <div class="spread">
        <p class="muted">
          {users.length} {users.length === 1 ? 'account' : 'accounts'} in the organization.
        </p>
        <button type="button" class="primary" onClick={() => setAdding(true)}>
          Add member
        </button>
      </div>
      <div ref={resultRef} tabIndex={-1} class="outcome">
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </div>
      <div class="table-wrap" role="region" aria-label="Members" tabIndex={0}>
        <table class="stack-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email address</th>
              <th scope="col">Role</th>
              <th scope="col">Account</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <th scope="row" data-label="Name">
                  {nameOf(u)}
                  {u.id === myId && <span class="small muted"> (you)</span>}
                </th>
                <td data-label="Email address" class="cell-address">
                  {u.email}
                </td>
                <td data-label="Role">{u.role === 'admin' ? 'Administrator' : 'Member'}</td>
                <td data-label="Account">
                  <span class={u.disabled ? 'badge badge-bad' : 'badge badge-ok'}>
                    {u.disabled ? 'Disabled' : 'Active'}
                  </span>
                </td>
                <td data-label="Actions">
                  <div class="row-actions">
                    {u.id !== myId &&
                      (u.disabled ? (
                        <button type="button" disabled={busy} onClick={() => void setDisabled(u, false)}>
                          Enable <span class="visually-hidden">{nameOf(u)}</span>
                        </button>
                      ) : (
                        <button type="button" class="danger" disabled={busy} onClick={() => setDisabling(u)}>
                          Disable <span class="visually-hidden">{nameOf(u)}</span>
                        </button>
                      ))}
                    <button type="button" disabled={busy} onClick={() => setResetting(u)}>
                      Reset password <span class="visually-hidden">of {nameOf(u)}</span>
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <AddMemberDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(u) => {
          setAdding(false);
          announce({
            kind: 'success',
            text: `Added ${nameOf(u)} (${u.email}) as ${u.role === 'admin' ? 'an administrator' : 'a member'}. Give them the password you chose; they sign in at ${window.location.origin}.`,
          });
          void loaded.reload();
        }}
      />

      <Dialog title={`Disable ${disabling ? nameOf(disabling) : ''}?`} open={disabling !== null} onClose={() => setDisabling(null)}>
        {disabling && (
          <>
            <p>
              <strong>{nameOf(disabling)}</strong> ({disabling.email}) is signed out everywhere at once and cannot sign
              in until you enable the account again. Their files stay where they are.
            </p>
            <div class="form-actions">
              <button type="button" class="primary danger" disabled={busy} onClick={() => void setDisabled(disabling, true)}>
                Disable account
              </button>
              <button type="button" onClick={() => setDisabling(null)}>
                Cancel
              </button>
            </div>
          </>
        )}
      </Dialog>

      <ResetPasswordDialog user={resetting} onClose={() => setResetting(null)} />
    </>
  );
}

function AddMemberDialog({
  open,
  onClose,
  onAdded,
}: {
  open: boolean;
  onClose: () => void;
  onAdded: (u: Schemas['User']) => void;
}) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'user' | 'admin'>('user');
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setEmail('');
    setName('');
    setPassword('');
    setRole('user');
    setError(null);
    onClose();
  };
  const fieldError = (f: string) => (error?.field === f ? error.message : null);

  return (
    <Dialog title="Add member" open={open} onClose={close}>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const user = await call(
              api.POST('/api/v1/admin/users', {
                body: { email: email.trim(), display_name: name.trim() || undefined, password, role },
              }),
            );
            setEmail('');
            setName('');
            setPassword('');
            setRole('user');
            onAdded(user);
          } catch (err) {
            const p = problemOf(err);
            const known = ['email', 'display_name', 'password', 'role'].includes(p.field ?? '');
            setError({ field: known ? p.field : undefined, message: sentence(p.message) });
            if (known) window.setTimeout(() => document.getElementById(`add-${p.field}`)?.focus(), 0);
          } finally {
            setBusy(false);
          }
        }}
      >
        {error && !error.field && <Notice kind="error">{error.message}</Notice>}
        <Field
          id="add-email"
          label="Email address"
          type="email"
          autoComplete="off"
          required
          value={email}
          error={fieldError('email')}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <Field
          id="add-display_name"
          label="Display name"
          hint="How others see them, like “Ada Lovelace”. Leave empty to use the part of the address before @."
          type="text"
          autoComplete="off"
          value={name}
          error={fieldError('display_name')}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <Field
          id="add-password"
          label="Password"
          hint="At least 8 characters. Give it to them through a safe channel."
          type="text"
          autoComplete="new-password"
          spellcheck={false}
          autoCapitalize="none"
          required
          value={password}
          error={fieldError('password')}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <Select
          id="add-role"
          label="Role"
          value={role}
          error={fieldError('role')}
          onChange={(e) => setRole(e.currentTarget.value as 'user' | 'admin')}
        >
          <option value="user">Member</option>
          <option value="admin">Administrator: also opens the admin center</option>
        </Select>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add member'}
          </button>
          <button type="button" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function ResetPasswordDialog({ user, onClose }: { user: User | null; onClose: () => void }) {
  const [password, setPassword] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const close = () => {
    setPassword(null);
    setCopied(null);
    setError(null);
    onClose();
  };
  const who = user ? nameOf(user) : '';
  return (
    <Dialog title={`Reset the password of ${who}`} open={user !== null} onClose={close}>
      {user && password === null && (
        <>
          <p>
            Vestibule makes a new random password for <strong>{who}</strong> ({user.email}) and shows it here once. The
            old password stops working at once.
          </p>
          {error && <Notice kind="error">{error}</Notice>}
          <div class="form-actions">
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  setPassword((await resetPassword(user.id)).password);
                } catch (err) {
                  const cli = `vestibule user reset --email ${user.email}`;
                  setError(`The password was not reset. ${notOnThisServer(err, 'reset passwords', cli)}`);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {busy ? 'Resetting…' : 'Reset password'}
            </button>
            <button type="button" onClick={close}>
              Cancel
            </button>
          </div>
        </>
      )}
      {user && password !== null && (
        <>
          <Notice kind="success" title={`The password of ${who} was reset.`}>
            <p>This is the only time it is shown: copy it now and give it to them through a safe channel.</p>
          </Notice>
          <div class="field">
            <label for="new-password">New password</label>
            <input
              id="new-password"
              ref={inputRef}
              class="password-once"
              type="text"
              readOnly
              value={password}
              onFocus={(e) => e.currentTarget.select()}
            />
          </div>
          <div class="form-actions">
            <button
              type="button"
              class="primary"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(password);
                  setCopied('Copied. Paste it where you will give it to them.');
                } catch {
                  inputRef.current?.focus();
                  inputRef.current?.select();
                  setCopied('This browser did not allow copying: the password is selected, press Ctrl+C (or ⌘C).');
                }
              }}
            >
              Copy password
            </button>
            <button type="button" onClick={close}>
              Done
            </button>
          </div>
          <p class="small" role="status">
            {copied}
          </p>
        </>
      )}
    </Dialog>
  );
}
