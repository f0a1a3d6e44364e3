import { Page } from '../../components/Page';

export default function AdminApp() {
  return (
    <Page title="Admin center">
      <h1>Admin center</h1>
    </Page>
  );
}
