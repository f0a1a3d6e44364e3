// The admin center at `/admin` and `/admin/*`: who may enter (sign-in returning here, or a
// sentence for members who are not admins), the frame with the tabs, and which tab the path
// names. Each tab loads its own data from /api/v1/admin/….
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { Page } from '../../components/Page';
import { SignInForm } from '../../components/SignInForm';
import { me, meLoaded, refreshMe, signOut } from '../../state/session';
import { AuditTab } from './AuditTab';
import { AddressView } from './AddressView';
import { addressInPath } from './directory';
import { DirectoryTab } from './DirectoryTab';
import { MembersTab } from './MembersTab';
import { OutboxTab } from './OutboxTab';
import { PolicyTab } from './PolicyTab';
import { ReportTab } from './ReportTab';
import { SessionsTab } from './SessionsTab';

interface Tab {
  path: string;
  label: string;
  title: string;
  render: () => ComponentChildren;
}

const kTabs: Tab[] = [
  { path: '/admin', label: 'Policy', title: 'Sharing policy', render: () => <PolicyTab /> },
  { path: '/admin/directory', label: 'External directory', title: 'External directory', render: () => <DirectoryTab /> },
  {
    path: '/admin/report',
    label: 'External sharing report',
    title: 'External sharing report',
    render: () => <ReportTab />,
  },
  { path: '/admin/outbox', label: 'Outbox', title: 'Outbox', render: () => <OutboxTab /> },
  { path: '/admin/members', label: 'Members', title: 'Members', render: () => <MembersTab /> },
  { path: '/admin/audit', label: 'Audit log', title: 'Audit log', render: () => <AuditTab /> },
  { path: '/admin/sessions', label: 'Sessions', title: 'Sessions', render: () => <SessionsTab /> },
];

function tabFor(path: string): Tab | null {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/admin' || p === '/admin/policy') return kTabs[0]!;
  // One address of the external directory, under its tab.
  const address = addressInPath(p);
  if (address) {
    return { ...kTabs[1]!, title: 'External address', render: () => <AddressView key={address} address={address} /> };
  }
  return kTabs.find((t) => t.path === p) ?? null;
}

function MemberNav() {
  return (
    <>
      <a href="/">My files</a>
      <a href="/shared-with-me">Shared with me</a>
      <a href="/shared-by-me">Shared by me</a>
      <a href="/requests">Requests</a>
      <a href="/admin" aria-current="page">
        Admin center
      </a>
    </>
  );
}

function Account({ email }: { email: string }) {
  return (
    <>
      <span class="admin-who">{email}</span>
      <button type="button" class="link-button" onClick={() => void signOut()}>
        Sign out
      </button>
    </>
  );
}

export default function AdminApp() {
  const { path } = useLocation();
  useEffect(() => {
    if (!meLoaded.value) void refreshMe();
  }, []);
  const tab = tabFor(path);

  if (!meLoaded.value) {
    return (
      <Page title="Admin center">
        <Loading what="Opening the admin center" />
      </Page>
    );
  }
  const who = me.value;
  if (!who) {
    return (
      <Page title="Sign in to the admin center" narrow>
        <h1>Sign in to the admin center</h1>
        <p>The admin center is for the organization’s administrators. Sign in with your account to continue here.</p>
        <SignInForm />
      </Page>
    );
  }
  if (who.kind !== 'member' || who.role !== 'admin') {
    return (
      <Page
        title="Admin center"
        narrow
        nav={who.kind === 'member' ? <a href="/">My files</a> : undefined}
        account={<Account email={who.email} />}
      >
        <h1>Admin center</h1>
        <Notice kind="warning" title="Only administrators can open the admin center.">
          <p>
            You are signed in as <strong>{who.email}</strong>, which is not an administrator’s account. If you need a
            policy changed or someone’s access taken back, ask one of your organization’s administrators.
          </p>
        </Notice>
        <p>
          <a class="button primary" href="/">
            {who.kind === 'member' ? 'Back to my files' : 'Back to what is shared with me'}
          </a>
        </p>
      </Page>
    );
  }

  return (
    <Page title={tab ? `${tab.label} · Admin center` : 'Admin center'} nav={<MemberNav />} account={<Account email={who.email} />}>
      <div class="admin">
        <h1>Admin center</h1>
        <nav class="tabs" aria-label="Admin center">
          {kTabs.map((t) => (
            <a key={t.path} href={t.path} aria-current={tab?.path === t.path ? 'page' : undefined}>
              {t.label}
            </a>
          ))}
        </nav>
        {tab ? (
          <section aria-labelledby="admin-tab-title">
            <h2 id="admin-tab-title" class="admin-tab-title">
              {tab.title}
            </h2>
            {tab.render()}
          </section>
        ) : (
          <Notice kind="warning" title="There is no such page in the admin center.">
            <p>
              The address may be mistyped or from an older version. <a href="/admin">Go to the policy</a> or pick a tab
              above.
            </p>
          </Notice>
        )}
      </div>
    </Page>
  );
}
