// Formatting of sizes, dates and addresses for people. Pure functions, unit-tested.

const kUnits = ['bytes', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  if (n < 1024) return n === 1 ? '1 byte' : `${n} bytes`;
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < kUnits.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${kUnits[unit]}`;
}

export function toDate(value: string | number | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

// "28 Nov 2026"
export function formatDate(value: string | Date | null | undefined, locale?: string): string {
  const d = toDate(value);
  if (!d) return '';
  return d.toLocaleDateString(locale, { day: 'numeric', month: 'short', year: 'numeric' });
}

// "28 Nov 2026, 14:32"
export function formatDateTime(value: string | Date | null | undefined, locale?: string): string {
  const d = toDate(value);
  if (!d) return '';
  return d.toLocaleString(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

// "14:32"
export function formatTime(value: string | Date | null | undefined, locale?: string): string {
  const d = toDate(value);
  if (!d) return '';
  return d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

// A duration in words: 600 -> "10 minutes", 2592000 -> "30 days".
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s < 60) return plural(s, 'second');
  if (s < 3600) return plural(Math.round(s / 60), 'minute');
  if (s < 86400) return plural(Math.round(s / 3600), 'hour');
  return plural(Math.round(s / 86400), 'day');
}

// Durations as the API writes them ("90s", "10m", "12h", "30d") to seconds; null if unreadable.
export function parseDuration(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (!m) return text.trim() === '0' ? 0 : null;
  const n = Number(m[1]);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

export function formatDuration(text: string | null | undefined): string {
  const s = parseDuration(text);
  return s === null ? (text ?? '') : formatSeconds(s);
}

// "in 10 minutes" / "3 days ago", relative to `now`.
export function formatRelative(value: string | Date | null | undefined, now = new Date()): string {
  const d = toDate(value);
  if (!d) return '';
  const diff = (d.getTime() - now.getTime()) / 1000;
  const words = formatSeconds(Math.abs(diff));
  if (Math.abs(diff) < 30) return 'just now';
  return diff > 0 ? `in ${words}` : `${words} ago`;
}

// "eve@partner.example" -> "e**@partner.example" (the server's masking, for the same address).
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return address.slice(0, 1) + '*'.repeat(Math.min(at - 1, 8)) + address.slice(at);
}

export function looksLikeEmail(text: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text.trim());
}
