export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** (max - min) / median, as a fraction: how far apart the rounds were. */
export function spread(values) {
  if (values.length < 2) return NaN;
  const m = median(values);
  return (Math.max(...values) - Math.min(...values)) / m;
}

export function fmtInt(x) {
  if (!Number.isFinite(x)) return '–';
  return Math.round(x).toLocaleString('en-US');
}

export function fmtRate(x) {
  if (!Number.isFinite(x)) return '–';
  if (x >= 100) return fmtInt(x);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function fmtRatio(x) {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : '–';
}

export function fmtBytes(x) {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 2 ** 20) return `${(x / 2 ** 20).toFixed(2)} MiB`;
  if (a >= 2 ** 10) return `${(x / 2 ** 10).toFixed(1)} KiB`;
  return `${Math.round(x)} B`;
}

/** A markdown table from a header row and rows of cells. */
export function markdownTable(header, rows, align) {
  const widths = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length), 3));
  const pad = (s, i) => (align?.[i] === 'r' ? String(s).padStart(widths[i]) : String(s).padEnd(widths[i]));
  const line = (cells) => `| ${cells.map(pad).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (align?.[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}
