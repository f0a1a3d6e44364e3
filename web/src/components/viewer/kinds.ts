// Which files the browser may show, by extension — the same allow-list as the server's `…/view`
// routes (src/api/content.cpp). Everything else (HTML and SVG included) is only downloaded.
export type ViewKind = 'image' | 'pdf' | 'text' | 'audio' | 'video';

const kKinds: Record<string, ViewKind> = {};
const add = (kind: ViewKind, exts: string) => {
  for (const e of exts.split(' ')) kKinds[e] = kind;
};
add('image', 'png jpg jpeg gif webp avif bmp ico');
add('pdf', 'pdf');
add('text', 'txt md csv log json xml yaml yml');
add('audio', 'mp3 m4a aac ogg oga opus wav flac');
add('video', 'mp4 m4v webm ogv mov');

export function viewKind(name: string): ViewKind | null {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return null;
  return kKinds[name.slice(dot + 1).toLowerCase()] ?? null;
}
