// The recipient's page for a link: `/s/{token}` from an invitation email, `/shared/{linkId}` from
// "Shared with me". A state machine over GET …/shares/{token} (machine.ts): every state says what
// happened and offers the next step (UX.md, "The recipient"). Phone first.
import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { problemOf, type Problem } from '../../api/client';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { Page } from '../../components/Page';
import { formatDateTime } from '../../lib/format';
import { me, refreshMe, signOut } from '../../state/session';
import { LinkApi, openEarly, serverNow, SignInCodeApi, type Opened } from './api';
import { sentence, stepOf } from './machine';
import { OpenItem } from './Open';
import {
  Blocked,
  Gone,
  Heading,
  NotHere,
  NotInvited,
  PasswordGate,
  Removed,
  RequestAccess,
  RequestSent,
  ShareIntro,
  SignInGate,
  SignInHere,
  Unknown,
} from './States';
import { Verify } from './Verify';
import './recipient.css';

openEarly(window.location.pathname);

const kInteractive = 'vestibule-interactive';

type View = { s: 'loading' } | { s: 'failed'; problem: Problem } | { s: 'link'; opened: Opened };

export default function RecipientPage(props: { token?: string; linkId?: string }) {
  const api = useMemo(() => new LinkApi(props), [props.token, props.linkId]);
  // Codes are asked for through the link's token; `/shared/{id}` has none, so there the address is
  // proved by signing in with a code, which gives the same session.
  const codes = useMemo(() => (props.linkId ? new SignInCodeApi() : api), [api, props.linkId]);
  const { query } = useLocation();
  const [view, setView] = useState<View>({ s: 'loading' });
  // Choices the person made on top of the link's state.
  const [another, setAnother] = useState(false); // "Continue with another address"
  const [asking, setAsking] = useState<string | null>(null); // request access as this address
  const [sent, setSent] = useState<string | null>(null); // request sent from this address
  const loads = useRef(0);

  // Reads the link's state again. The page stays as it is until the answer is there, so an
  // action that finds nothing changed does not flash.
  const load = useCallback(async () => {
    const mine = ++loads.current;
    try {
      const opened = await api.open();
      if (mine !== loads.current) return;
      if (opened.kind === 'ok' && opened.summary.needs === 'none') void refreshMe();
      if (opened.kind === 'unknown' && props.linkId) await refreshMe();
      setView({ s: 'link', opened });
    } catch (e) {
      if (mine === loads.current) setView({ s: 'failed', problem: problemOf(e) });
    }
  }, [api, props.linkId]);

  useEffect(() => {
    setView({ s: 'loading' });
    setAnother(false);
    setAsking(null);
    setSent(null);
    void load();
  }, [load]);

  const reset = () => {
    setAnother(false);
    setAsking(null);
    void load();
  };
  const leave = async () => {
    await signOut().catch(() => undefined);
    reset();
  };

  // The first state on screen (the address form, the item, …) with working controls: the mark
  // the benchmark of the recipient's page waits for (bench/web_page.mjs).
  useEffect(() => {
    if (view.s !== 'loading' && performance.getEntriesByName(kInteractive).length === 0) {
      performance.mark(kInteractive);
    }
  }, [view.s]);

  const key = stateKey(view, another, sent);
  const prevKey = useRef(key);
  useEffect(() => {
    // A new state moves the focus to its heading, so a screen reader says what happened.
    if (prevKey.current !== key && prevKey.current !== 'loading') {
      document.getElementById('state-h')?.focus();
    }
    prevKey.current = key;
  }, [key]);

  let title = 'Shared with you';
  let body: ComponentChildren;
  let account: ComponentChildren = null;

  if (view.s === 'loading') {
    body = <Loading what="Opening the link" />;
  } else if (view.s === 'failed') {
    title = 'Could not open the link';
    body = (
      <section class="rcp-state" aria-labelledby="state-h">
        <Heading>The link could not be opened just now.</Heading>
        <Notice kind="error">{sentence(view.problem.message)}</Notice>
        <button type="button" class="primary wide" onClick={() => void load()}>
          Try again
        </button>
      </section>
    );
  } else if (sent !== null) {
    title = 'Request sent';
    const o = view.opened;
    const sharer =
      o.kind === 'ok' ? o.summary.shared_by.display_name : o.kind === 'gone' ? o.link?.shared_by?.display_name : null;
    body = <RequestSent sharer={sharer || 'the owner'} email={sent} />;
  } else {
    const o = view.opened;
    if (o.kind === 'unknown' && props.linkId) {
      // `/shared/{id}` answers only the link's recipients: this browser is not (or no longer) one.
      // A resent invitation lands here (`?email=`): the address is proved with a code, or a member
      // signs in, and the link is asked for again.
      const signedIn = me.value?.email ?? null;
      if (signedIn && !another) {
        title = 'Not shared with this address';
        account = <Account onSignOut={() => void leave()} />;
        body = <NotHere
            signedIn={signedIn}
            home={me.value?.kind === 'external' || me.value?.kind === 'guest' ? '/' : '/shared-with-me'}
            onContinue={() => setAnother(true)} onSignOut={() => void leave()} />;
      } else {
        title = 'Confirm your email address';
        body = <SignInHere codes={codes} prefill={another ? '' : (query.email ?? '')} onSignedIn={reset} />;
      }
    } else if (o.kind === 'unknown') {
      title = 'Link not found';
      body = <Unknown />;
    } else if (o.kind === 'gone') {
      title = 'This link no longer opens';
      const sharer = o.link?.shared_by?.display_name || 'the owner';
      body = (
        <Gone
          link={o.link}
          message={o.message}
          request={
            <RequestAccess
              api={api}
              email={asking ?? query.email ?? me.value?.email ?? ''}
              sharer={sharer}
              onSent={setSent}
              onLost={reset}
            />
          }
        />
      );
    } else {
      const s = o.summary;
      const sharer = s.shared_by.display_name;
      const step = another ? { step: 'verify' as const } : stepOf(s, serverNow());
      const request = (email: string, open = false) => (
        <RequestAccess key={email} api={api} email={email} sharer={sharer} onSent={setSent} onLost={reset} open={open} />
      );
      title = s.item.name;
      switch (step.step) {
        case 'open':
          account = <Account onSignOut={() => void leave()} />;
          body = <OpenItem api={api} summary={s} onLost={reset} />;
          break;
        case 'verify':
          body =
            asking !== null ? (
              <section class="rcp-state" aria-labelledby="state-h">
                <ShareIntro summary={s} />
                {request(asking, true)}
                <button type="button" class="link-button" onClick={() => setAsking(null)}>
                  Back to the code
                </button>
              </section>
            ) : (
              <Verify
                key="verify"
                api={codes}
                summary={s}
                prefill={another ? '' : (query.email ?? '')}
                intro={
                  <ShareIntro summary={s}>
                    <p>To open it, confirm your email address.</p>
                  </ShareIntro>
                }
                onVerified={reset}
                onLost={reset}
                onRequestAccess={(email) => setAsking(email)}
              />
            );
          break;
        case 'reverify':
          body = (
            <Verify
              key="reverify"
              api={codes}
              summary={s}
              prefill=""
              fixedEmail={step.email}
              intro={
                <>
                  <Heading>Confirm your address again</Heading>
                  <p>
                    {step.days
                      ? `It's been ${step.days} ${step.days === 1 ? 'day' : 'days'} since you confirmed your address.`
                      : s.proved_at
                        ? `You last confirmed your address on ${formatDateTime(s.proved_at)}.`
                        : "It's been a while since you confirmed your address."}{' '}
                    Confirm it again to keep access to <strong>{s.item.name}</strong>.
                  </p>
                </>
              }
              onVerified={reset}
              onLost={reset}
              onRequestAccess={(email) => {
                setAnother(true);
                setAsking(email);
              }}
            />
          );
          break;
        case 'password':
          body = <PasswordGate api={api} summary={s} onOpened={reset} />;
          break;
        case 'sign_in':
          body = <SignInGate summary={s} onSignedIn={reset} />;
          break;
        case 'not_invited':
          body = (
            <NotInvited
              email={step.email}
              onContinue={() => setAnother(true)}
              onSignOut={() => void leave()}
              request={request(step.email)}
            />
          );
          break;
        case 'removed':
          body = <Removed sharer={sharer} request={request(step.email)} />;
          break;
        case 'blocked':
          body = <Blocked summary={s} email={step.email} onSignOut={() => void leave()} />;
          break;
      }
    }
  }

  return (
    <Page title={title} account={account} narrow={!isWide(view, another, sent)}>
      {body}
    </Page>
  );
}

// The open item is given the width it needs on a desktop; every other state is one narrow column.
function isWide(view: View, another: boolean, sent: string | null) {
  return view.s === 'link' && view.opened.kind === 'ok' && view.opened.summary.needs === 'none' && !another && !sent;
}

function stateKey(view: View, another: boolean, sent: string | null): string {
  if (view.s !== 'link') return view.s;
  if (sent) return 'sent';
  const o = view.opened;
  if (o.kind !== 'ok') return o.kind;
  return another ? 'another' : `${o.summary.needs}:${o.summary.reason ?? ''}`;
}

// Who this browser is signed in as, the way back to everything shared with them, and sign-out.
function Account({ onSignOut }: { onSignOut: () => void }) {
  const who = me.value;
  if (!who) return null;
  const home = who.kind === 'external' || who.kind === 'guest' ? '/' : '/shared-with-me';
  return (
    <div class="rcp-account">
      <span class="rcp-who" title={who.email}>
        {who.email}
      </span>
      <a href={home}>Shared with me</a>
      <a href="/sessions">Sessions</a>
      <button type="button" class="link-button" onClick={onSignOut}>
        Sign out
      </button>
    </div>
  );
}
