/** Display helpers. Numbers inside data-testid elements stay plain (no separators): see `plain`. */

const grouped = new Intl.NumberFormat('en-US');

/** 12345 → "12,345", for figures that no test reads. */
export const formatCount = (n: number): string => grouped.format(n);

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Axis labels stay short and alike: on an axis up to 25,000, 18750 → "18.8K"; up to 500, 250 → "250". */
export const formatAxis = (n: number, axisMax: number): string =>
  axisMax < 10_000 ? grouped.format(n) : compact.format(n);

/** A number as plain digits, at most two decimals (rates): 12.3456 → "12.35", 1000 → "1000". */
export const plain = (n: number): string => String(Math.round(n * 100) / 100);

/** A 0..1 share as a percentage with one decimal: 0.625 → "62.5%". */
export const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

const pad = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time, "14:05:09". */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local "14:05", for chart axes. */
export function hourMinute(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** How long ago, from the server's clock: "just now", "42 s ago", "3 min ago". */
export function ago(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (seconds < 2) return 'just now';
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** A seconds estimate as "45 s" / "3 min"; unknown when the queue admits nobody yet. */
export function duration(seconds: number | null): string {
  if (seconds === null) return 'unknown';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  return `${Math.round(seconds / 60)} min`;
}

/** The same colour for the same series everywhere (chart line, legend, table swatch, poll bars). */
export const palette = ['#4f46e5', '#0891b2', '#d97706', '#db2777', '#16a34a', '#7c3aed', '#dc2626', '#0d9488'];

export const colorAt = (index: number): string => palette[index % palette.length] ?? '#4f46e5';
