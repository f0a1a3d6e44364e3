// A User-Agent header in words a person recognizes: "Firefox on Windows", "curl". Pure; the
// sessions pages show it beside the full header (as a tooltip) so nothing is hidden.
const kBrowsers: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\//, 'Firefox'],
  [/\bFxiOS\//, 'Firefox'],
  [/\bCriOS\//, 'Chrome'],
  [/\bChrom(e|ium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/^curl\//i, 'curl'],
  [/^Wget\//i, 'Wget'],
  [/python/i, 'Python script'],
];

const kSystems: [RegExp, string][] = [
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

export function describeAgent(agent: string | null | undefined): string {
  const ua = (agent ?? '').trim();
  if (!ua) return 'Unknown device';
  const browser = kBrowsers.find(([rx]) => rx.test(ua))?.[1];
  const system = kSystems.find(([rx]) => rx.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `A browser on ${system}`;
  const first = ua.split(/[\s/]/)[0] ?? ua;
  return first.length > 40 ? `${first.slice(0, 40)}…` : first;
}
