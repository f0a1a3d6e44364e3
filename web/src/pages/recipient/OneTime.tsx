// `/verify#link=…&email=…&token=…`: the one-time link an address gets instead of a code once too
// many wrong codes were typed for it (SPEC §7). The token travels in the fragment, which the
// browser never sends to a server; the page posts it once, clears it from the address bar, and
// goes on to what was shared — or says why the link cannot be used and what to do instead.
import { useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api, call, problemOf, type Problem } from '../../api/client';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { Page } from '../../components/Page';
import { Heading } from './States';
import './recipient.css';

interface Carried {
  link: number | null;
  email: string;
  token: string;
}

function carriedBy(hash: string): Carried | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  const email = params.get('email');
  const link = params.get('link');
  if (!token || !email) return null;
  const id = link && /^\d+$/.test(link) ? Number(link) : null;
  return { link: id, email, token };
}

export default function OneTimePage() {
  const { route } = useLocation();
  const [carried] = useState(() => carriedBy(window.location.hash));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(true);

  async function use(c: Carried) {
    setBusy(true);
    setProblem(null);
    try {
      const done = await call(
        api.POST('/api/v1/verification/one-time', {
          body: { ...(c.link !== null ? { link_id: c.link } : {}), email: c.email, token: c.token },
        }),
      );
      route(done.next, true);
    } catch (e) {
      setProblem(problemOf(e));
      setBusy(false);
    }
  }

  useEffect(() => {
    // The token is not left in the address bar or the history.
    window.history.replaceState(null, '', '/verify');
    if (carried) void use(carried);
    else setBusy(false);
  }, []);

  if (busy) {
    return (
      <Page title="Signing you in" narrow>
        <Loading what="Checking your link" />
      </Page>
    );
  }
  let title = 'This link cannot be used';
  let body;
  if (!carried) {
    body = (
      <p>
        The link is incomplete. Open it again from the email, or copy the whole address from the email into this
        browser.
      </p>
    );
  } else if (problem?.status === 0) {
    title = 'Vestibule could not be reached';
    body = (
      <>
        <Notice kind="error">{problem.message}</Notice>
        <button type="button" class="primary wide" onClick={() => void use(carried)}>
          Try again
        </button>
      </>
    );
  } else if (problem?.status === 404 || problem?.status === 410) {
    title = 'This is no longer shared with you';
    body = <p>What this link was for is no longer shared. If you still need it, ask the person who shared it.</p>;
  } else {
    body = (
      <>
        <p>
          A link like this works once, only in the browser where the code was asked for, and only until it
          expires. Open what was shared with you again in the browser you use, and ask for a new code: a new link
          will come to <strong>{carried.email}</strong>.
        </p>
        {problem && problem.status !== 400 && <Notice kind="error">{problem.message}</Notice>}
      </>
    );
  }
  return (
    <Page title={title} narrow>
      <section class="rcp-state" aria-labelledby="state-h">
        <Heading>{title}</Heading>
        {body}
      </section>
    </Page>
  );
}
