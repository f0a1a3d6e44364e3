// The routes of SPEC §5: `/s/{token}` the recipient's page for a link, `/shared/{link_id}` the
// same page reached from "Shared with me" (tokens are never stored, so the page finds the link
// by id for its recipient), `/admin` the admin center, everything else the app (sign-in, files,
// sharing, "Shared with me"); `/verify` opens a one-time link sent instead of a code. Each is
// its own chunk, so a recipient loads only their page.
import { ErrorBoundary, lazy, LocationProvider, Route, Router } from 'preact-iso';

const Recipient = lazy(() => import('./pages/recipient'));
const OneTime = lazy(() => import('./pages/recipient/OneTime'));
const Admin = lazy(() => import('./pages/admin'));
const Member = lazy(() => import('./pages/files'));

export function App() {
  return (
    <LocationProvider>
      <ErrorBoundary>
        <Router>
          <Route path="/s/:token" component={Recipient} />
          <Route path="/shared/:linkId" component={Recipient} />
          <Route path="/verify" component={OneTime} />
          <Route path="/admin/*" component={Admin} />
          <Route path="/admin" component={Admin} />
          <Route default component={Member} />
        </Router>
      </ErrorBoundary>
    </LocationProvider>
  );
}
