// Requests (`/requests`): people asking for access to what this member shares, with the item,
// the address and the message, Approve / Decline, and what the decision did, in words.
import { useEffect, useState } from 'preact/hooks';
import { problemOf } from '../../api/client';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { RequestRow } from '../share/ManageAccess';
import { myAccessRequests, type AccessRequest } from './api';
import { MemberPage } from './MemberHome';

export function RequestsPage() {
  const [requests, setRequests] = useState<AccessRequest[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    myAccessRequests('pending')
      .then((r) => live && setRequests(r))
      .catch((e) => live && setError(problemOf(e).message));
    return () => {
      live = false;
    };
  }, []);
  return (
    <MemberPage title="Requests" section="requests">
      <h1>Requests for access</h1>
      <p class="muted">
        People who hold a link that is not for them, or no longer works, can ask you for access. Approving sends them an
        invitation of their own; declining gives them nothing.
      </p>
      {error ? (
        <Notice kind="error" title="The requests could not be loaded">
          <p>{error}</p>
        </Notice>
      ) : requests === null ? (
        <Loading what="Loading requests" />
      ) : requests.length === 0 ? (
        <div class="empty">
          <p>
            <strong>Nobody is waiting for an answer.</strong>
          </p>
          <p>When someone asks for access to something you share, it appears here and you get an email.</p>
        </div>
      ) : (
        <ul class="list requests">
          {requests.map((r) => (
            <RequestRow key={r.id} request={r} />
          ))}
        </ul>
      )}
    </MemberPage>
  );
}
