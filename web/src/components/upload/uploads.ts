// The upload queue: files (and the folders dropped with them) sent one at a time with a streamed
// PUT, each with its progress, a cancel, and the server's reason when it was refused. Members and
// recipients with `edit` use it alike; `Target` says where the calls go.
import { signal } from '@preact/signals';
import { Problem, problemOf } from '../../api/client';
import { formatBytes } from '../../lib/format';

export interface Target {
  // PUT URL of a file named `name` in folder `folderId`.
  fileUrl(folderId: number, name: string): string;
  // Creates a folder (or finds the existing one of that name) and returns its id.
  ensureFolder(parentId: number, name: string): Promise<number>;
  maxBytes?: number;
}

export type UploadState = 'waiting' | 'sending' | 'done' | 'failed' | 'cancelled';

export interface Upload {
  id: number;
  name: string; // relative path for files inside a dropped folder
  size: number;
  sent: number;
  state: UploadState;
  error?: string;
}

interface Job {
  upload: Upload;
  file: File;
  folderId: number;
  dirs: string[]; // folders to create under folderId first
  xhr?: XMLHttpRequest;
}

export const uploads = signal<Upload[]>([]);
const jobs = new Map<number, Job>();
let nextId = 1;
let running = false;
let onDone: (() => void) | null = null;
let target: Target | null = null;

function update(id: number, change: Partial<Upload>) {
  uploads.value = uploads.value.map((u) => (u.id === id ? { ...u, ...change } : u));
  const job = jobs.get(id);
  if (job) job.upload = { ...job.upload, ...change };
}

// Called after each finished upload, so the page can list the folder again.
export function onUploaded(f: (() => void) | null): void {
  onDone = f;
}

export function enqueue(t: Target, folderId: number, files: { file: File; path: string }[]): void {
  target = t;
  for (const { file, path } of files) {
    const parts = path.split('/').filter(Boolean);
    const name = parts.pop() ?? file.name;
    const upload: Upload = { id: nextId++, name: path || file.name, size: file.size, sent: 0, state: 'waiting' };
    if (t.maxBytes !== undefined && file.size > t.maxBytes) {
      upload.state = 'failed';
      upload.error = `too large: the limit is ${formatBytes(t.maxBytes)}`;
    }
    jobs.set(upload.id, { upload, file: new File([file], name, { type: file.type }), folderId, dirs: parts });
    uploads.value = [...uploads.value, upload];
  }
  void run();
}

export function cancel(id: number): void {
  const job = jobs.get(id);
  if (!job) return;
  if (job.xhr) job.xhr.abort();
  if (job.upload.state === 'waiting' || job.upload.state === 'sending') update(id, { state: 'cancelled' });
}

export function clearFinished(): void {
  uploads.value = uploads.value.filter((u) => u.state === 'waiting' || u.state === 'sending');
  for (const id of [...jobs.keys()]) {
    if (!uploads.value.some((u) => u.id === id)) jobs.delete(id);
  }
}

const folderIds = new Map<string, number>();

async function folderFor(job: Job): Promise<number> {
  let id = job.folderId;
  for (const dir of job.dirs) {
    const key = `${id}/${dir}`;
    const known = folderIds.get(key);
    id = known ?? (await target!.ensureFolder(id, dir));
    folderIds.set(key, id);
  }
  return id;
}

function send(job: Job, folderId: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    job.xhr = xhr;
    xhr.open('PUT', target!.fileUrl(folderId, job.file.name));
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => update(job.upload.id, { sent: e.loaded });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      const fake = new Response(null, { status: xhr.status });
      reject(problemOf(body, fake));
    };
    xhr.onerror = () =>
      reject(new Problem(0, 'unreachable', 'the connection broke off; try again'));
    xhr.onabort = () => reject(new Problem(0, 'cancelled', 'cancelled'));
    xhr.send(job.file);
  });
}

async function run(): Promise<void> {
  if (running) return;
  running = true;
  try {
    for (;;) {
      const job = [...jobs.values()].find((j) => j.upload.state === 'waiting');
      if (!job) break;
      update(job.upload.id, { state: 'sending' });
      try {
        const folderId = await folderFor(job);
        await send(job, folderId);
        update(job.upload.id, { state: 'done', sent: job.upload.size });
        onDone?.();
      } catch (e) {
        const p = problemOf(e);
        if (p.code === 'cancelled') update(job.upload.id, { state: 'cancelled' });
        else update(job.upload.id, { state: 'failed', error: p.message });
      } finally {
        job.xhr = undefined;
      }
    }
  } finally {
    running = false;
    folderIds.clear();
  }
}

// Files of a drop, folders walked (webkitGetAsEntry), each with its path relative to the drop.
export async function filesOfDrop(data: DataTransfer): Promise<{ file: File; path: string }[]> {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(data.items)) {
    const entry = item.kind === 'file' ? item.webkitGetAsEntry?.() : null;
    if (entry) entries.push(entry);
  }
  if (entries.length === 0) {
    return Array.from(data.files).map((file) => ({ file, path: file.name }));
  }
  const out: { file: File; path: string }[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ file, path: prefix + entry.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}
