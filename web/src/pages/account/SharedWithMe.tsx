import { Page } from '../../components/Page';

export default function SharedWithMe() {
  return (
    <Page title="Shared with me">
      <h1>Shared with me</h1>
    </Page>
  );
}
