import { Page } from '../../components/Page';

export default function MemberHome() {
  return (
    <Page title="My files">
      <h1>My files</h1>
    </Page>
  );
}
