// The list of uploads with a progress bar per file, cancel, and the reason of each failure.
import { formatBytes } from '../../lib/format';
import { cancel, clearFinished, uploads } from './uploads';

const kStateWords = {
  waiting: 'Waiting',
  sending: 'Uploading',
  done: 'Uploaded',
  failed: 'Not uploaded',
  cancelled: 'Cancelled',
} as const;

export function UploadQueue() {
  const list = uploads.value;
  if (list.length === 0) return null;
  const finished = list.some((u) => u.state !== 'waiting' && u.state !== 'sending');
  return (
    <section class="upload-queue" aria-label="Uploads">
      <div class="upload-queue-head">
        <h2>Uploads</h2>
        {finished && (
          <button type="button" class="link-button" onClick={clearFinished}>
            Clear finished
          </button>
        )}
      </div>
      <ul>
        {list.map((u) => {
          const pct = u.size > 0 ? Math.round((100 * u.sent) / u.size) : u.state === 'done' ? 100 : 0;
          return (
            <li key={u.id} class={`upload upload-${u.state}`} data-name={u.name}>
              <div class="upload-line">
                <span class="upload-name">{u.name}</span>
                <span class="upload-state">
                  {kStateWords[u.state]}
                  {u.state === 'sending' && ` ${pct}%`} · {formatBytes(u.size)}
                </span>
                {(u.state === 'waiting' || u.state === 'sending') && (
                  <button type="button" class="link-button" onClick={() => cancel(u.id)} aria-label={`Cancel upload of ${u.name}`}>
                    Cancel
                  </button>
                )}
              </div>
              <progress max={100} value={pct} aria-label={`Progress of ${u.name}`} />
              {u.error && <p class="field-error">{u.error}</p>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
