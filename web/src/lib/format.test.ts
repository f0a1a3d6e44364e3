import { describe, expect, it } from 'vitest';
import { formatBytes, formatRelative, formatSeconds, maskEmail, parseDuration } from './format';

describe('format', () => {
  it('sizes', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(4096)).toBe('4.0 KB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10 GB');
  });
  it('durations', () => {
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('30d')).toBe(2592000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('soon')).toBeNull();
    expect(formatSeconds(600)).toBe('10 minutes');
    expect(formatSeconds(86400)).toBe('1 day');
  });
  it('relative times', () => {
    const now = new Date('2026-11-29T10:00:00Z');
    expect(formatRelative('2026-11-29T10:10:00Z', now)).toBe('in 10 minutes');
    expect(formatRelative('2026-11-26T10:00:00Z', now)).toBe('3 days ago');
  });
  it('masks an address as the server does', () => {
    expect(maskEmail('eve@partner.example')).toBe('e**@partner.example');
    expect(maskEmail('a@b.example')).toBe('a@b.example');
    expect(maskEmail('nobody')).toBe('***');
  });
});
