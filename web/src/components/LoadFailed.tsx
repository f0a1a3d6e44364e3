// What a page shows when what it reads could not be loaded: the server's sentence and a way to
// try again, so the reader is never left with an empty page.
import type { Problem } from '../api/client';
import { Notice } from './Notice';

export function LoadFailed({
  title,
  problem,
  retry,
  message,
}: {
  title: string;
  problem: Problem | null;
  retry: () => Promise<void> | void;
  // The sentence to show instead of the server's (e.g. the server's, completed).
  message?: string;
}) {
  return (
    <Notice kind="error" title={title}>
      <p>{message ?? problem?.message}</p>
      <button type="button" onClick={() => void retry()}>
        Try again
      </button>
    </Notice>
  );
}
