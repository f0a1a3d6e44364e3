import { describe, expect, it } from 'vitest';
import { viewKind } from './kinds';

describe('viewKind', () => {
  it('knows the allow-listed kinds, case-insensitively', () => {
    expect(viewKind('plan.PDF')).toBe('pdf');
    expect(viewKind('a.b.png')).toBe('image');
    expect(viewKind('notes.md')).toBe('text');
    expect(viewKind('clip.webm')).toBe('video');
    expect(viewKind('song.mp3')).toBe('audio');
  });
  it('never shows HTML, SVG or unknown files', () => {
    expect(viewKind('page.html')).toBeNull();
    expect(viewKind('logo.svg')).toBeNull();
    expect(viewKind('archive.zip')).toBeNull();
    expect(viewKind('README')).toBeNull();
  });
});
