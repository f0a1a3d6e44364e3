import { Page } from '../../components/Page';

export default function RecipientPage(props: { token?: string; linkId?: string }) {
  return (
    <Page title="Shared with you" narrow>
      <h1>Shared with you</h1>
      <p>{props.token ? 'Opening the link…' : 'Opening…'}</p>
    </Page>
  );
}
