// The member's app: the header (nav per the shared vocabulary, "Sign out") and its own routes —
// `/` the root of "My files", `/files/:id` a folder (or a file's folder with the file selected),
// `/shared-with-me`, `/shared-by-me`, `/requests`, `/trash`, `/sessions` (sessions and API tokens). The paths are matched here from the
// location (preact-iso's nested Router would see an empty rest under the app's default route).
import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { Page } from '../../components/Page';
import { SessionsAndTokens } from '../account/Sessions';
import { me, signOut } from '../../state/session';
import { FilesView } from './FilesView';
import { RequestsPage } from './RequestsPage';
import { SharedByMePage } from './SharedByMePage';
import { SharedWithMePage } from './SharedWithMePage';
import { TrashPage } from './TrashPage';

type Section = 'files' | 'shared-with-me' | 'shared-by-me' | 'requests' | 'account' | 'none';

function NavLink({ href, current, children }: { href: string; current: boolean; children: ComponentChildren }) {
  return (
    <a href={href} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

// The frame of every member page: Page with the member's nav and account.
export function MemberPage({
  title,
  section,
  children,
}: {
  title: string;
  section: Section;
  children: ComponentChildren;
}) {
  const { route } = useLocation();
  const who = me.value;
  const nav = (
    <>
      <NavLink href="/" current={section === 'files'}>
        My files
      </NavLink>
      <NavLink href="/shared-with-me" current={section === 'shared-with-me'}>
        Shared with me
      </NavLink>
      <NavLink href="/shared-by-me" current={section === 'shared-by-me'}>
        Shared by me
      </NavLink>
      <NavLink href="/requests" current={section === 'requests'}>
        Requests
      </NavLink>
      {who?.role === 'admin' && (
        <NavLink href="/admin" current={false}>
          Admin center
        </NavLink>
      )}
    </>
  );
  const account = who && (
    <>
      <span class="who" title={who.email}>
        {who.display_name || who.email}
      </span>
      <a href="/sessions" aria-current={section === 'account' ? 'page' : undefined}>
        Sessions and tokens
      </a>
      <button
        type="button"
        class="link-button"
        onClick={async () => {
          try {
            await signOut();
          } finally {
            route('/');
          }
        }}
      >
        Sign out
      </button>
    </>
  );
  return (
    <Page title={title} nav={nav} account={account}>
      {children}
    </Page>
  );
}

export default function MemberHome() {
  const { path } = useLocation();
  const folder = /^\/files\/(\d+)$/.exec(path);
  if (path === '/' || folder) {
    return <FilesView key="files" itemId={folder ? Number(folder[1]) : null} />;
  }
  switch (path) {
    case '/shared-with-me':
      return <SharedWithMePage />;
    case '/shared-by-me':
      return <SharedByMePage />;
    case '/requests':
      return <RequestsPage />;
    case '/trash':
      return <TrashPage />;
    case '/sessions':
      return (
        <MemberPage title="Sessions and tokens" section="account">
          <SessionsAndTokens />
        </MemberPage>
      );
    default:
      return (
        <MemberPage title="Page not found" section="none">
          <h1>This page doesn't exist</h1>
          <p>The address may have been typed incorrectly, or the page has moved.</p>
          <p>
            <a class="button primary" href="/">
              Go to My files
            </a>
          </p>
        </MemberPage>
      );
  }
}
