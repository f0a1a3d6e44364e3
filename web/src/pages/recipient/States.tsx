// The recipient page's states that are not the item itself: what happened, in plain words, and
// the one step that moves the person forward (UX.md, "The recipient").
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { problemOf } from '../../api/client';
import { Field, TextArea } from '../../components/Field';
import { Notice } from '../../components/Notice';
import { SignInForm } from '../../components/SignInForm';
import { formatBytes, looksLikeEmail } from '../../lib/format';
import type { CodeApi, GoneLink, LinkApi, Summary } from './api';
import { formatDay, goneStateOf, sentence } from './machine';
import { Verify } from './Verify';

export function Heading({ children }: { children: ComponentChildren }) {
  return (
    <h1 id="state-h" tabIndex={-1}>
      {children}
    </h1>
  );
}

function State({ children }: { children: ComponentChildren }) {
  return (
    <section class="rcp-state" aria-labelledby="state-h">
      {children}
    </section>
  );
}

// "Ada Lovelace shared plan.pdf with you" and her message.
export function ShareIntro({ summary, children }: { summary: Summary; children?: ComponentChildren }) {
  const item = summary.item;
  return (
    <>
      <Heading>
        {summary.shared_by.display_name} shared <span class="rcp-item-name">{item.name}</span> with you
      </Heading>
      <p class="muted">
        {item.kind === 'folder' ? 'A folder' : `A file, ${formatBytes(item.size)}`}
        {summary.role === 'edit' ? ' you can change' : ''}.
      </p>
      <Message summary={summary} />
      {children}
    </>
  );
}

export function Message({ summary }: { summary: Summary }) {
  if (!summary.message) return null;
  return (
    <figure class="rcp-share-message">
      <figcaption class="muted small">Message from {summary.shared_by.display_name}</figcaption>
      <blockquote>{summary.message}</blockquote>
    </figure>
  );
}

// "Request access": who asks (prefilled) and a message to the owner.
export function RequestAccess({
  api,
  email: initial,
  sharer,
  onSent,
  onLost,
  open: startOpen = false,
}: {
  api: LinkApi;
  email: string;
  sharer: string;
  onSent: (email: string) => void;
  onLost?: () => void;
  open?: boolean;
}) {
  const [open, setOpen] = useState(startOpen);
  const [email, setEmail] = useState(initial);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!open) {
    return (
      <button
        type="button"
        class="primary wide"
        onClick={() => {
          setOpen(true);
          requestAnimationFrame(() => document.getElementById('request-email')?.focus());
        }}
      >
        Request access
      </button>
    );
  }
  return (
    <form
      class="card rcp-request-access"
      noValidate
      aria-labelledby="request-h"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!looksLikeEmail(email)) {
          setError('Type your email address, so the owner knows who is asking.');
          return;
        }
        setBusy(true);
        setError(null);
        try {
          await api.requestAccess(email.trim(), message.trim());
          onSent(email.trim());
        } catch (err) {
          const p = problemOf(err);
          if (p.status === 404 && onLost) onLost();
          else setError(sentence(p.message));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="request-h">Request access</h2>
      <p class="muted small">{sharer} gets your request by email and can share it with you in one step.</p>
      <Field
        id="request-email"
        label="Your email address"
        type="email"
        name="email"
        autoComplete="email"
        value={email}
        error={error}
        onInput={(e) => setEmail(e.currentTarget.value)}
      />
      <TextArea
        label="Message to the owner"
        name="message"
        maxLength={2000}
        hint="Optional: who you are and why you need it."
        value={message}
        onInput={(e) => setMessage(e.currentTarget.value)}
      />
      <button type="submit" class="primary wide" disabled={busy}>
        {busy ? 'Sending…' : 'Send request'}
      </button>
    </form>
  );
}

export function RequestSent({ sharer, email }: { sharer: string; email: string }) {
  return (
    <State>
      <Heading>Request sent</Heading>
      <Notice kind="success">
        <p>
          We told {sharer}. You'll get an email at <strong>{email}</strong> if they give you access.
        </p>
      </Notice>
      <p class="muted">You can close this page.</p>
    </State>
  );
}

export function Unknown() {
  return (
    <State>
      <Heading>This link doesn't exist or was typed incorrectly.</Heading>
      <p>Check that you opened or copied the whole link from the email. If it still doesn't work, ask the person who sent it.</p>
    </State>
  );
}

// `/shared/{id}` for a browser signed in as someone the link is not shared with.
export function NotHere({
  signedIn,
  home,
  onContinue,
  onSignOut,
}: {
  signedIn: string;
  home: string; // where "Shared with me" is for this account
  onContinue: () => void;
  onSignOut: () => void;
}) {
  return (
    <State>
      <Heading>This isn't shared with {signedIn}</Heading>
      <p>
        You're signed in as <strong>{signedIn}</strong>. If it was shared with another of your addresses, confirm that
        address with a code, or open the link in the invitation email.
      </p>
      <button type="button" class="primary wide" onClick={onContinue}>
        Continue with another address
      </button>
      <button type="button" class="wide" onClick={onSignOut}>
        Sign out
      </button>
      <p class="muted small">
        <a href={home}>See what's shared with {signedIn}</a>
      </p>
    </State>
  );
}

// `/shared/{id}` for a browser not signed in (the landing of a resent invitation, a bookmark):
// the address is proved with a code sent to it; a member signs in with their password instead.
export function SignInHere({
  codes,
  prefill,
  onSignedIn,
}: {
  codes: CodeApi;
  prefill: string;
  onSignedIn: () => void;
}) {
  const [member, setMember] = useState(false);
  if (member) {
    return (
      <State>
        <Heading>Sign in with your account</Heading>
        <p>Sign in with your organization account to open what was shared with you.</p>
        <SignInForm onSignedIn={onSignedIn} />
        <button type="button" class="link-button" onClick={() => setMember(false)}>
          I don't have an account: email me a code
        </button>
      </State>
    );
  }
  return (
    <>
      <Verify
        key="sign-in"
        api={codes}
        prefill={prefill}
        intro={
          <>
            <Heading>Confirm your email address to open what was shared with you</Heading>
            <p>Type the address the invitation was sent to.</p>
          </>
        }
        onVerified={onSignedIn}
        onLost={onSignedIn}
      />
      <p class="rcp-aside muted small">
        Have an account with the organization?{' '}
        <button type="button" class="link-button" onClick={() => setMember(true)}>
          Sign in with your password
        </button>
      </p>
    </>
  );
}

// A link that no longer opens (410): expired, revoked, off by policy, or its item deleted.
export function Gone({
  link,
  message,
  request,
}: {
  link: GoneLink | null;
  message: string;
  request: ComponentChildren;
}) {
  const sharer = link?.shared_by?.display_name || 'The owner';
  const state = goneStateOf(link, message);
  const now = Date.now();
  let title: ComponentChildren;
  let detail: ComponentChildren = null;
  switch (state) {
    case 'expired':
      title = link?.expired_at ? `This link expired on ${formatDay(link.expired_at, now)}.` : 'This link has expired.';
      detail = `Ask ${sharer === 'The owner' ? 'the owner' : sharer} for access and they can share it with you again.`;
      break;
    case 'revoked':
    case 'deleted':
      title = `${sharer} stopped sharing this with you.`;
      detail = 'If you still need it, ask for access.';
      break;
    case 'off_by_policy':
      title = "The organization's sharing rules no longer allow this link.";
      detail = `${sharer} can share it with you in another way: ask for access.`;
      break;
    default:
      title = 'This link no longer opens.';
      detail = sentence(message);
  }
  return (
    <State>
      <Heading>{title}</Heading>
      {detail && <p>{detail}</p>}
      {request}
    </State>
  );
}

export function Removed({ sharer, request }: { sharer: string; request: ComponentChildren }) {
  return (
    <State>
      <Heading>{sharer} stopped sharing this with you.</Heading>
      <p>If you still need it, ask for access.</p>
      {request}
    </State>
  );
}

export function Blocked({ summary, email, onSignOut }: { summary: Summary; email: string; onSignOut: () => void }) {
  const org = summary.organization;
  const contact = org?.contact?.trim() ?? '';
  return (
    <State>
      <Heading>Access for this address has been turned off by the organization.</Heading>
      {email && (
        <p>
          You're signed in as <strong>{email}</strong>.
        </p>
      )}
      {contact ? (
        <p>
          To ask why, or to have it turned back on, contact {org?.name ? `${org.name} at ` : ''}
          {looksLikeEmail(contact) ? <a href={`mailto:${contact}`}>{contact}</a> : <strong>{contact}</strong>}.
        </p>
      ) : (
        <p>To ask why, contact {summary.shared_by.display_name}, who shared it with you.</p>
      )}
      <button type="button" class="wide" onClick={onSignOut}>
        Sign out
      </button>
    </State>
  );
}

export function NotInvited({
  email,
  onContinue,
  onSignOut,
  request,
}: {
  email: string;
  onContinue: () => void;
  onSignOut: () => void;
  request: ComponentChildren;
}) {
  return (
    <State>
      <Heading>This was shared with someone else</Heading>
      <p>
        You're signed in as <strong>{email}</strong>, but this was shared with someone else.
      </p>
      <p class="muted">
        If it was sent to another of your addresses, continue with that one: we'll email it a code. You stay signed in
        elsewhere.
      </p>
      <div class="rcp-actions">
        <button type="button" class="primary wide" onClick={onContinue}>
          Continue with another address
        </button>
        <button type="button" class="wide" onClick={onSignOut}>
          Sign out
        </button>
      </div>
      <h2>Or ask for access as {email}</h2>
      {request}
    </State>
  );
}

export function PasswordGate({ summary, api, onOpened }: { summary: Summary; api: LinkApi; onOpened: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <State>
      <ShareIntro summary={summary} />
      <p>This link is protected by a password.</p>
      <form
        class="card"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await api.proveLinkPassword(password);
            onOpened();
          } catch (err) {
            const p = problemOf(err);
            setError(p.status === 401 || p.status === 400 ? `${sentence(p.message)} Ask ${summary.shared_by.display_name} for it.` : sentence(p.message));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field
          id="link-password"
          label="Link password"
          type="password"
          name="password"
          autoComplete="off"
          value={password}
          error={error}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" class="primary wide" disabled={busy}>
          {busy ? 'Opening…' : 'Open'}
        </button>
      </form>
    </State>
  );
}

export function SignInGate({ summary, onSignedIn }: { summary: Summary; onSignedIn: () => void }) {
  const org = summary.organization?.name || 'organization';
  return (
    <State>
      <ShareIntro summary={summary} />
      <p>Sign in with your {org} account to open this.</p>
      <SignInForm onSignedIn={onSignedIn} />
    </State>
  );
}
