// Statistics of the measured runs and their rendering as text and markdown tables.

export const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
// Median, min and max of the finite values, or undefined when there is none.
export const summary = (xs) => {
  const v = xs.filter(Number.isFinite);
  return v.length ? { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length } : undefined;
};
// Ratios of runs measured side by side (a[i] against b[i]), summarised.
export const pairedRatio = (a, b) => summary(a.map((x, i) => (Number.isFinite(x) && b[i] > 0 ? x / b[i] : NaN)));
export const fmt = (x) => (Number.isFinite(x) ? x.toFixed(Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2) : "-");
export const fmtRatio = (x) => (Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x.toFixed(x >= 10 ? 1 : 2)}×` : "-");
export const fmtSummary = (s, f = fmt) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : "-");
export const sizeText = (mib) => (mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`);

// A markdown table; `align` has "l" or "r" per column.
export function table(headers, rows, align = headers.map((_, i) => (i === 0 ? "l" : "r"))) {
  const line = (r) => `| ${r.map(String).join(" | ")} |`;
  return [line(headers), `|${align.map((a) => (a === "r" ? "---:" : ":---")).join("|")}|`, ...rows.map(line)].join("\n");
}
