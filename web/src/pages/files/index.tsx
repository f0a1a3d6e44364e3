// The app at `/` and every path that is not a link or the admin center: sign-in when nobody is
// signed in (a password, or an email code for people outside), "Shared with me" (and
// `/sessions`) for a verified external recipient or a guest, the member's files otherwise.
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { Loading } from '../../components/Loading';
import { Page } from '../../components/Page';
import { SignInForm } from '../../components/SignInForm';
import { me, meLoaded, refreshMe } from '../../state/session';
import { RecipientSessionsPage } from '../account/Sessions';
import SharedWithMe from '../account/SharedWithMe';
import { SignInCodeApi } from '../recipient/api';
import '../recipient/recipient.css';
import { Verify } from '../recipient/Verify';
import MemberHome from './MemberHome';

// Sign-in: members with their password; people outside the organization that something was
// shared with, with a code sent to their address (the same session a link's code gives).
function FrontDoor() {
  const [byCode, setByCode] = useState(false);
  if (byCode) {
    return (
      <Page title="Sign in with an email code" narrow>
        <Verify
          key="front-door"
          api={signInCodes}
          prefill=""
          intro={
            <>
              <h1 id="state-h" tabIndex={-1}>
                Sign in with an email code
              </h1>
              <p>
                For people outside the organization. Type the address something was shared with: we'll email you a
                code, and then you see everything shared with it.
              </p>
            </>
          }
          onVerified={() => void refreshMe()}
          onLost={() => void refreshMe()}
        />
        <button type="button" class="link-button" onClick={() => setByCode(false)}>
          I have an account: sign in with my password
        </button>
      </Page>
    );
  }
  return (
    <Page title="Sign in" narrow>
      <h1>Sign in to Vestibule</h1>
      <p>Sign in with your organization account to see your files and what is shared with you.</p>
      <SignInForm />
      <p class="muted small">
        Something was shared with you by email, and you have no account?{' '}
        <button type="button" class="link-button" onClick={() => setByCode(true)}>
          Get a code by email
        </button>
        . The link in that email works too.
      </p>
    </Page>
  );
}

const signInCodes = new SignInCodeApi();

export default function MemberApp() {
  const { path } = useLocation();
  useEffect(() => {
    if (!meLoaded.value) void refreshMe();
  }, []);
  if (!meLoaded.value) {
    return (
      <Page title="Vestibule">
        <Loading />
      </Page>
    );
  }
  const who = me.value;
  if (!who) {
    return <FrontDoor />;
  }
  // Guests and verified recipients land on what is shared with their address.
  if (who.kind === 'external' || who.kind === 'guest')
    return path === '/sessions' ? <RecipientSessionsPage /> : <SharedWithMe />;
  return <MemberHome />;
}
