// The app at `/` and every path that is not a link or the admin center: sign-in when nobody is
// signed in, "Shared with me" for a verified external recipient, the member's files otherwise.
import { useEffect } from 'preact/hooks';
import { Loading } from '../../components/Loading';
import { Page } from '../../components/Page';
import { SignInForm } from '../../components/SignInForm';
import { me, meLoaded, refreshMe } from '../../state/session';
import SharedWithMe from '../account/SharedWithMe';
import MemberHome from './MemberHome';

export default function MemberApp() {
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
    return (
      <Page title="Sign in" narrow>
        <h1>Sign in to Vestibule</h1>
        <p>Sign in with your organization account to see your files and what is shared with you.</p>
        <SignInForm />
        <p class="muted small">
          Opening something that was shared with you by email? Use the link in that email: it
          asks you to confirm your address with a code, no account needed.
        </p>
      </Page>
    );
  }
  if (who.kind === 'external') return <SharedWithMe />;
  return <MemberHome />;
}
