// PDF pages drawn on canvases by pdf.js. This module and pdf.js itself are a separate chunk,
// fetched from the server only when a PDF is opened.
import { getDocument, GlobalWorkerOptions } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Loading } from '../Loading';

GlobalWorkerOptions.workerSrc = workerUrl;

const kMaxPages = 50;

export default function PdfView({ url, name }: { url: string; name: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  const [pages, setPages] = useState(0);
  useEffect(() => {
    let cancelled = false;
    const task = getDocument({ url, withCredentials: true, isEvalSupported: false });
    (async () => {
      try {
        const doc = await task.promise;
        if (cancelled) return;
        setPages(doc.numPages);
        const el = host.current;
        if (!el) return;
        el.replaceChildren();
        const width = Math.max(200, el.clientWidth || 600);
        for (let n = 1; n <= Math.min(doc.numPages, kMaxPages) && !cancelled; n++) {
          const page = await doc.getPage(n);
          const base = page.getViewport({ scale: 1 });
          const scale = width / base.width;
          const viewport = page.getViewport({ scale: scale * (window.devicePixelRatio || 1) });
          const canvas = document.createElement('canvas');
          canvas.width = Math.floor(viewport.width);
          canvas.height = Math.floor(viewport.height);
          canvas.style.width = `${Math.floor(width)}px`;
          canvas.setAttribute('role', 'img');
          canvas.setAttribute('aria-label', `${name}, page ${n} of ${doc.numPages}`);
          el.appendChild(canvas);
          await page.render({ canvas, viewport }).promise;
        }
        if (!cancelled) setState('ready');
      } catch {
        if (!cancelled) setState('failed');
      }
    })();
    return () => {
      cancelled = true;
      void task.destroy();
    };
  }, [url, name]);
  return (
    <>
      {state === 'loading' && <Loading what="Opening the PDF" />}
      {state === 'failed' && (
        <p class="viewer-note">This PDF could not be shown in the browser.</p>
      )}
      <div ref={host} class="pdf-pages" data-state={state} />
      {pages > kMaxPages && (
        <p class="viewer-note">
          Showing the first {kMaxPages} of {pages} pages.
        </p>
      )}
    </>
  );
}
