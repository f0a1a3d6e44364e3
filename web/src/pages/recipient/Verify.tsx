// Proving the invited address with an emailed code: the address (prefilled from the invitation),
// then "we sent a code to e**@…, it expires at 14:32", the code field, "remember this device",
// resend with a visible cool-down, a different address; a wrong code, a burnt code, and too many
// requests each say what happened and what to do next.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { problemOf, type Problem } from '../../api/client';
import { Checkbox, Field } from '../../components/Field';
import { Notice } from '../../components/Notice';
import { formatRelative, formatSeconds, formatTime, looksLikeEmail, maskEmail, parseDuration } from '../../lib/format';
import type { CodeApi, CodeSent, Summary } from './api';
import { clock, digitsOf, sentence } from './machine';

interface Pending {
  email: string;
  sentTo: string;
  expiresAt: number; // browser clock, ms
  codeLength: number | null;
  resendAt: number; // browser clock, ms
  rememberSeconds?: number; // from the request's answer, when the page has no policy of its own
}

type Step =
  | { step: 'address' }
  | { step: 'code'; pending: Pending; again?: boolean }
  | { step: 'burnt'; pending: Pending }
  | { step: 'throttled'; until: number };

const kDefaultResendSeconds = 30;
const kDefaultLifetimeSeconds = 600;

// A code step survives a reload of the page (same tab), so coming back from the mail app on a
// phone lands on the code field again.
function storageKey(base: string) {
  return `vestibule.code:${base}`;
}

function loadPending(base: string): Pending | null {
  try {
    const p = JSON.parse(sessionStorage.getItem(storageKey(base)) ?? 'null') as Pending | null;
    return p && p.expiresAt > Date.now() ? p : null;
  } catch {
    return null;
  }
}

function savePending(base: string, p: Pending | null) {
  try {
    if (p) sessionStorage.setItem(storageKey(base), JSON.stringify(p));
    else sessionStorage.removeItem(storageKey(base));
  } catch {
    /* private mode: the step just does not survive a reload */
  }
}

// Re-renders every second while `on`, for the visible countdowns.
function useTick(on: boolean) {
  const [, set] = useState(0);
  useEffect(() => {
    if (!on) return;
    const t = window.setInterval(() => set((n) => n + 1), 1000);
    return () => window.clearInterval(t);
  }, [on]);
}

export function Verify({
  api,
  summary,
  prefill,
  fixedEmail,
  intro,
  onVerified,
  onLost,
  onRequestAccess,
}: {
  api: CodeApi;
  // The link's summary: the code's length and lifetime, "remember this device". None for sign-in
  // without a link, where the answer to the code request says them.
  summary?: Summary;
  prefill: string;
  // Reverification: the code goes to this (signed-in) address; no field for it.
  fixedEmail?: string;
  intro: ComponentChildren;
  onVerified: () => void;
  onLost: () => void;
  // None where there is nothing to ask access to (sign-in without a link).
  onRequestAccess?: (email: string) => void;
}) {
  const policy = summary?.verification;
  const [step, setStep] = useState<Step>(() => {
    const p = loadPending(api.base);
    return p && (!fixedEmail || p.email === fixedEmail) ? { step: 'code', pending: p } : { step: 'address' };
  });
  const [email, setEmail] = useState(fixedEmail ?? prefill);
  const [free, setFree] = useState(!fixedEmail);
  const [addressError, setAddressError] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | null>(null);
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  // Field is a function component without a ref of its own: its inputs are found by id.
  const codeInput = () => document.getElementById('recipient-code') as HTMLInputElement | null;
  const addressInput = () => document.getElementById('recipient-email') as HTMLInputElement | null;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  useTick(step.step === 'code' || step.step === 'throttled');

  // Each new step moves the focus to what to do next.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (step.step === 'code') codeInput()?.focus();
    else if (step.step === 'address' && free) addressInput()?.focus();
    else headingRef.current?.focus();
  }, [step.step]);

  const lost = (p: Problem) => p.status === 401 || p.status === 404 || p.status === 410;

  async function sendCode(to: string, again = false) {
    setBusy(true);
    setAddressError(null);
    try {
      const r: CodeSent = await api.requestCode(to);
      const lifetime =
        parseDuration(r.code_lifetime) ?? policy?.code_lifetime_seconds ?? kDefaultLifetimeSeconds;
      const pending: Pending = {
        email: to,
        sentTo: r.sent_to || maskEmail(to),
        expiresAt: Date.now() + lifetime * 1000,
        codeLength: r.code_length ?? policy?.code_length ?? null,
        resendAt: Date.now() + (r.resend_after_seconds ?? kDefaultResendSeconds) * 1000,
        rememberSeconds: r.remember_device_seconds,
      };
      savePending(api.base, pending);
      setCode('');
      setCodeError(null);
      setStep({ step: 'code', pending, again });
    } catch (e) {
      const p = problemOf(e);
      if (p.status === 429) {
        setStep({ step: 'throttled', until: Date.now() + (p.retryAfterSeconds ?? 3600) * 1000 });
      } else if (lost(p)) {
        onLost();
      } else {
        setAddressError(sentence(p.message));
        if (step.step !== 'address') setStep({ step: 'address' });
      }
    } finally {
      setBusy(false);
    }
  }

  async function confirm(pending: Pending) {
    const digits = digitsOf(code);
    if (!digits) {
      setCodeError('Type the code from the email.');
      codeInput()?.focus();
      return;
    }
    setBusy(true);
    setCodeError(null);
    try {
      await api.confirmCode(pending.email, digits, remember);
      savePending(api.base, null);
      onVerified();
    } catch (e) {
      const p = problemOf(e);
      if (p.status === 429) {
        savePending(api.base, null);
        setStep({ step: 'burnt', pending });
      } else if (p.status === 400) {
        const left = (p.body as { error?: { tries_left?: number } } | undefined)?.error?.tries_left;
        const tries = typeof left === 'number' ? ` ${left} ${left === 1 ? 'try' : 'tries'} left for this code.` : '';
        setCodeError(`That code isn't right.${tries} Check that it is the code from the newest email, or ask for a new one.`);
        codeInput()?.select();
      } else if (lost(p)) {
        onLost();
      } else {
        setCodeError(sentence(p.message));
      }
    } finally {
      setBusy(false);
    }
  }

  const requestAccess = onRequestAccess
    ? () => onRequestAccess(step.step === 'code' || step.step === 'burnt' ? step.pending.email : email)
    : null;

  if (step.step === 'throttled') {
    const left = (step.until - Date.now()) / 1000;
    return (
      <section class="rcp-state" aria-labelledby="verify-h">
        <h1 id="verify-h" tabIndex={-1} ref={headingRef}>
          Too many codes were asked for
        </h1>
        <p>
          You can ask again at <strong>{formatTime(new Date(step.until))}</strong>.
        </p>
        {left > 0 ? (
          <p class="rcp-countdown" aria-live="off">
            You can ask again in <span class="rcp-countdown-clock">{clock(left)}</span>
          </p>
        ) : (
          <button type="button" class="primary wide" onClick={() => setStep({ step: 'address' })}>
            Send code
          </button>
        )}
        {requestAccess ? (
          <>
            <p class="muted">If you can't wait, ask the person who shared it to give you access.</p>
            <button type="button" class={left > 0 ? 'primary wide' : 'wide'} onClick={requestAccess}>
              Request access
            </button>
          </>
        ) : (
          <p class="muted">If you can't wait, open the link in the email you were sent.</p>
        )}
      </section>
    );
  }

  if (step.step === 'burnt') {
    return (
      <section class="rcp-state" aria-labelledby="verify-h">
        <h1 id="verify-h" tabIndex={-1} ref={headingRef}>
          This code can no longer be used.
        </h1>
        <p>
          It was typed wrong too many times. Ask for a new code: it goes to <strong>{step.pending.sentTo}</strong>.
        </p>
        <button type="button" class="primary wide" disabled={busy} onClick={() => sendCode(step.pending.email)}>
          Send a new code
        </button>
        <button type="button" class="link-button" onClick={() => differentAddress()}>
          Use a different address
        </button>
      </section>
    );
  }

  function differentAddress() {
    savePending(api.base, null);
    setFree(true);
    setEmail('');
    setCode('');
    setCodeError(null);
    setStep({ step: 'address' });
  }

  if (step.step === 'code') {
    const p = step.pending;
    const now = Date.now();
    const expired = p.expiresAt <= now;
    const resendIn = (p.resendAt - now) / 1000;
    const remember_s = policy?.remember_device_seconds ?? p.rememberSeconds ?? 0;
    const digits = p.codeLength ? `an ${p.codeLength}-digit code`.replace(/^an (?=[^8])/, 'a ') : 'a code';
    return (
      <section class="rcp-state" aria-labelledby="verify-h">
        <h1 id="verify-h" tabIndex={-1} ref={headingRef}>
          Check your email
        </h1>
        {step.again && !expired && <Notice kind="success">A new code is on its way. Only the newest code works.</Notice>}
        <p>
          We sent {digits} to <strong>{p.sentTo}</strong>.{' '}
          {expired ? (
            <>It expired at {formatTime(new Date(p.expiresAt))}: ask for a new one.</>
          ) : (
            <>
              It expires at <strong>{formatTime(new Date(p.expiresAt))}</strong> (
              {formatRelative(new Date(p.expiresAt), new Date(now)).replace('just now', 'in less than a minute')}).
            </>
          )}
        </p>
        <p class="muted">Check spam if it hasn't arrived in a minute. The code works only in this browser.</p>
        <form
          class="card"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void confirm(p);
          }}
        >
          <Field
            label="Code from the email"
            id="recipient-code"
            class="rcp-field-code"
            name="code"
            type="text"
            inputMode="numeric"
            autoComplete="one-time-code"
            enterKeyHint="go"
            spellcheck={false}
            autoCorrect="off"
            value={code}
            error={codeError}
            onInput={(e) => {
              const el = e.currentTarget;
              const d = digitsOf(el.value, (p.codeLength ?? 8) + 4);
              setCode(d);
              // Keep the field showing only digits even when Preact's value did not change.
              if (el.value !== d) el.value = d;
            }}
          />
          {remember_s > 0 && (
            <Checkbox
              label={`Remember this device for ${formatSeconds(remember_s)}`}
              hint="Leave this off on a shared or public computer."
              checked={remember}
              onChange={(e) => setRemember(e.currentTarget.checked)}
            />
          )}
          <button type="submit" class="primary wide" disabled={busy}>
            {busy ? 'Checking…' : 'Open'}
          </button>
        </form>
        <div class="rcp-actions">
          <button
            type="button"
            class="wide"
            disabled={busy || (resendIn > 0 && !expired)}
            aria-describedby="resend-when"
            onClick={() => sendCode(p.email, true)}
          >
            Resend code
          </button>
          <p id="resend-when" class="rcp-countdown muted small" aria-live="off">
            {resendIn > 0 && !expired ? (
              <>
                You can ask for a new code in <span class="rcp-countdown-clock">{clock(resendIn)}</span>
              </>
            ) : (
              'No email? You can ask for a new code now.'
            )}
          </p>
          <button type="button" class="wide" onClick={differentAddress}>
            Use a different address
          </button>
        </div>
        {requestAccess ? (
          <div class="rcp-aside">
            <p class="muted small">Nothing arrives at all? This link may have been shared with another address.</p>
            <button type="button" class="link-button" onClick={requestAccess}>
              Request access
            </button>
          </div>
        ) : (
          <p class="rcp-aside muted small">
            Nothing arrives at all? A code goes only to an address something is shared with: check that it's the
            address the invitation was sent to.
          </p>
        )}
      </section>
    );
  }

  // The address step.
  const fixed = !free && fixedEmail;
  return (
    <section class="rcp-state" aria-labelledby="verify-h">
      {intro}
      <form
        class="card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const to = (fixed ? fixedEmail : email).trim();
          if (!looksLikeEmail(to)) {
            setAddressError('Type the email address this was shared with, like name@example.com.');
            addressInput()?.focus();
            return;
          }
          void sendCode(to);
        }}
      >
        {fixed ? (
          <p>
            We'll send a code to <strong>{maskEmail(fixedEmail)}</strong>.
          </p>
        ) : (
          <Field
            label="Your email address"
            id="recipient-email"
            type="email"
            name="email"
            autoComplete="email"
            inputMode="email"
            spellcheck={false}
            value={email}
            error={addressError}
            hint="We'll email you a code to prove it's yours. No account needed."
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        )}
        {fixed && addressError && <Notice kind="error">{addressError}</Notice>}
        <button type="submit" class="primary wide" disabled={busy}>
          {busy ? 'Sending…' : 'Send code'}
        </button>
      </form>
      {fixed && (
        <button type="button" class="link-button" onClick={() => setFree(true)}>
          Use a different address
        </button>
      )}
    </section>
  );
}
