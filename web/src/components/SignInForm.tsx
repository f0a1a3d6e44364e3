// Member sign-in (email and password), used by the app's front door and by the recipient's page
// of an organization link; calls onSignedIn once the session cookie is set.
import { useState } from 'preact/hooks';
import { problemOf } from '../api/client';
import { signIn, type Me } from '../state/session';
import { Field } from './Field';
import { Notice } from './Notice';

export function SignInForm({ onSignedIn, submitLabel = 'Sign in' }: { onSignedIn?: (me: Me | null) => void; submitLabel?: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="card"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          const who = await signIn(email.trim(), password);
          onSignedIn?.(who);
        } catch (err) {
          const p = problemOf(err);
          setError(
            p.status === 401
              ? 'That email address and password do not match an account. Check both and try again.'
              : p.message,
          );
        } finally {
          setBusy(false);
        }
      }}
    >
      {error && <Notice kind="error">{error}</Notice>}
      <Field
        label="Email address"
        type="email"
        name="email"
        autoComplete="username"
        required
        value={email}
        onInput={(e) => setEmail(e.currentTarget.value)}
      />
      <Field
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        required
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <button type="submit" class="primary wide" disabled={busy}>
        {busy ? 'Signing in…' : submitLabel}
      </button>
    </form>
  );
}
