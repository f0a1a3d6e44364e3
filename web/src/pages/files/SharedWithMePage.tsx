// "Shared with me" for a member: the recipient pages' list (pages/account) in the member's frame.
import { SharedWithMeList } from '../account/SharedWithMe';
import { MemberPage } from './MemberHome';

export function SharedWithMePage() {
  return (
    <MemberPage title="Shared with me" section="shared-with-me">
      <h1>Shared with me</h1>
      <p class="muted">What others share with you, by a link for your address or by giving you access.</p>
      <SharedWithMeList emptyText="Nothing is shared with you yet. When someone shares a file with you, it appears here." />
    </MemberPage>
  );
}
