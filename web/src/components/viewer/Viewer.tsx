// Shows a file in the page: images, PDF (rendered by pdf.js, loaded only when a PDF is opened),
// text, audio and video (the browser asks for ranges itself). `url` is a `…/view` route, which
// the server answers only for allow-listed types, inline and sandboxed.
import { lazy, Suspense } from 'preact/compat';
import { useEffect, useState } from 'preact/hooks';
import { formatBytes } from '../../lib/format';
import { Loading } from '../Loading';
import { viewKind } from './kinds';

const PdfView = lazy(() => import('./PdfView'));

const kTextLimit = 1024 * 1024;

function TextView({ url, size }: { url: string; size: number }) {
  const [text, setText] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const headers: Record<string, string> = size > kTextLimit ? { Range: `bytes=0-${kTextLimit - 1}` } : {};
    fetch(url, { credentials: 'same-origin', headers })
      .then(async (r) => {
        if (!r.ok) throw new Error(String(r.status));
        const t = await r.text();
        if (live) setText(t);
      })
      .catch(() => live && setFailed('The text could not be loaded. Reload the page to try again.'));
    return () => {
      live = false;
    };
  }, [url, size]);
  if (failed) return <p class="viewer-note">{failed}</p>;
  if (text === null) return <Loading what="Loading the text" />;
  return (
    <>
      <pre class="viewer-text" tabIndex={0} aria-label="File contents">
        {text}
      </pre>
      {size > kTextLimit && (
        <p class="viewer-note">Showing the first {formatBytes(kTextLimit)} of {formatBytes(size)}.</p>
      )}
    </>
  );
}

export function canView(name: string): boolean {
  return viewKind(name) !== null;
}

export function Viewer({ url, name, size }: { url: string; name: string; size: number }) {
  const kind = viewKind(name);
  switch (kind) {
    case 'image':
      return (
        <figure class="viewer viewer-image">
          <img src={url} alt={name} />
        </figure>
      );
    case 'pdf':
      return (
        <div class="viewer viewer-pdf">
          <Suspense fallback={<Loading what="Opening the PDF" />}>
            <PdfView url={url} name={name} />
          </Suspense>
        </div>
      );
    case 'text':
      return (
        <div class="viewer">
          <TextView url={url} size={size} />
        </div>
      );
    case 'audio':
      return (
        <div class="viewer">
          <audio controls preload="metadata" src={url} aria-label={name} />
        </div>
      );
    case 'video':
      return (
        <div class="viewer">
          <video controls preload="metadata" src={url} aria-label={name} />
        </div>
      );
    default:
      return null;
  }
}
