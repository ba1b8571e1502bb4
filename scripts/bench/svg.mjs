// Small hand-written SVG charts for the benchmark report: a line chart (median points joined,
// min–max whiskers, linear or log axes) and a horizontal bar chart (grouped bars, min–max
// whiskers). Plain SVG 1.1, no script, no external font: it renders on GitHub and in a browser.

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const FONT = 'font-family="sans-serif"';

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (x) => (Math.round(x * 10) / 10).toString();
const label = (v) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toPrecision(3)}k` : `${+v.toPrecision(3)}`);

// Tick values for [lo, hi]: 1-2-5 steps on a log axis, "nice" steps on a linear one.
function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const m of [1, 2, 5]) out.push(m * 10 ** e);
    const inside = out.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
    return inside.length > 7 ? inside.filter((t) => /^1/.test(String(t))) : inside;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toPrecision(12));
  return out;
}

// Maps [lo, hi] onto [a, b] pixels (log or linear); the range is widened to hold every value.
function scale(values, a, b, log, zero) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (log) {
    lo /= 1.25;
    hi *= 1.25;
  } else {
    if (zero) lo = Math.min(0, lo);
    if (hi === lo) hi = lo + 1;
    hi += (hi - lo) * 0.08;
  }
  const f = log ? Math.log10 : (x) => x;
  const map = (x) => a + ((f(x) - f(lo)) / (f(hi) - f(lo))) * (b - a);
  return { map, lo, hi, ticks: ticks(lo, hi, log) };
}

const frame = (w, h, title, body) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ${FONT} font-size="12">\n` +
  `<rect width="${w}" height="${h}" fill="#ffffff"/>\n` +
  `<text x="${w / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>\n${body}</svg>\n`;

const legend = (names, x, y) =>
  names
    .map(
      (n, i) =>
        `<rect x="${x}" y="${num(y + i * 16 - 9)}" width="12" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 17}" y="${num(y + i * 16)}">${esc(n)}</text>`,
    )
    .join("\n");

// A min–max whisker: a line with caps, vertical (x fixed) or horizontal (y fixed).
const whisker = (vertical, at, from, to, color) => {
  if (Math.abs(to - from) < 0.5) return "";
  const line = vertical
    ? `<line x1="${num(at)}" y1="${num(from)}" x2="${num(at)}" y2="${num(to)}"`
    : `<line x1="${num(from)}" y1="${num(at)}" x2="${num(to)}" y2="${num(at)}"`;
  const cap = (v) =>
    vertical
      ? `<line x1="${num(at - 4)}" y1="${num(v)}" x2="${num(at + 4)}" y2="${num(v)}"`
      : `<line x1="${num(v)}" y1="${num(at - 4)}" x2="${num(v)}" y2="${num(at + 4)}"`;
  return `${line} stroke="${color}" stroke-width="1.2"/>${cap(from)} stroke="${color}" stroke-width="1.2"/>${cap(to)} stroke="${color}" stroke-width="1.2"/>`;
};

// A vertical line from y1 to y2 at each tick of the x scale `xs` (axis ticks or grid lines), with
// the tick's label centred at yText.
const vTicks = (ticks, xs, y1, y2, yText, stroke) =>
  ticks
    .map(
      (t) =>
        `<line x1="${num(xs.map(t))}" y1="${y1}" x2="${num(xs.map(t))}" y2="${y2}" stroke="${stroke}"/><text x="${num(xs.map(t))}" y="${yText}" text-anchor="middle">${label(t)}</text>`,
    )
    .join("\n");

// series: [{ name, points: [{ x, median, min, max }] }]; missing points are left out.
export function lineChart({ title, xLabel, yLabel, series, xLog = false, yLog = false, xTicks }) {
  const W = 720;
  const H = 420;
  const L = 70;
  const R = 200;
  const T = 40;
  const B = 60;
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.median));
  const xs = scale(
    pts.map((p) => p.x),
    L,
    W - R,
    xLog,
    false,
  );
  const ys = scale(
    pts.flatMap((p) => [p.min, p.max, p.median]).filter((v) => Number.isFinite(v) && (!yLog || v > 0)),
    H - B,
    T,
    yLog,
    true,
  );
  const grid = ys.ticks
    .map(
      (t) =>
        `<line x1="${L}" y1="${num(ys.map(t))}" x2="${W - R}" y2="${num(ys.map(t))}" stroke="#e0e0e0"/><text x="${L - 6}" y="${num(ys.map(t) + 4)}" text-anchor="end">${label(t)}</text>`,
    )
    .join("\n");
  const xt = vTicks(xTicks ?? [...new Set(pts.map((p) => p.x))], xs, H - B, H - B + 5, H - B + 18, "#000");
  const lines = series
    .map((s, i) => {
      const c = COLORS[i % COLORS.length];
      const p = s.points.filter((q) => Number.isFinite(q.median)).sort((a, b) => a.x - b.x);
      const path = p.map((q, k) => `${k ? "L" : "M"}${num(xs.map(q.x))},${num(ys.map(q.median))}`).join(" ");
      const marks = p
        .map(
          (q) =>
            `<circle cx="${num(xs.map(q.x))}" cy="${num(ys.map(q.median))}" r="3.5" fill="${c}"/>${whisker(true, xs.map(q.x), ys.map(q.min), ys.map(q.max), c)}`,
        )
        .join("");
      return `${p.length > 1 ? `<path d="${path}" fill="none" stroke="${c}" stroke-width="2"/>` : ""}${marks}`;
    })
    .join("\n");
  const axes = `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#000"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#000"/>`;
  const labels =
    `<text x="${(L + W - R) / 2}" y="${H - 15}" text-anchor="middle">${esc(xLabel)}${xLog ? " (log scale)" : ""}</text>` +
    `<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}${yLog ? " (log scale)" : ""}</text>`;
  const note = `<text x="${W - R + 15}" y="${H - B}" font-size="10" fill="#555">dot: median; bar: min–max</text>`;
  return frame(
    W,
    H,
    title,
    `${grid}\n${xt}\n${axes}\n${lines}\n${labels}\n${legend(
      series.map((s) => s.name),
      W - R + 15,
      T + 14,
    )}\n${note}\n`,
  );
}

// groups: [{ label, bars: [{ median, min, max }] }], one bar per series (in `series` order).
export function barChart({ title, unit, series, groups, log = false }) {
  const W = 720;
  const rowH = 14 * series.length + 12;
  const T = 40 + (series.length > 1 ? 16 * series.length : 0);
  const L = Math.min(300, 20 + 6.6 * Math.max(...groups.map((g) => g.label.length)));
  const R = 70;
  const B = 45;
  const H = T + rowH * groups.length + B;
  const vals = groups.flatMap((g) => g.bars.flatMap((b) => (b ? [b.min, b.max, b.median] : []))).filter((v) => Number.isFinite(v) && (!log || v > 0));
  const xs = scale(log ? vals : [0, ...vals], L, W - R, log, true);
  const base = log ? L : xs.map(0);
  const grid = vTicks(xs.ticks, xs, T - 4, H - B, H - B + 15, "#e0e0e0");
  const rows = groups
    .map((g, gi) => {
      const y0 = T + gi * rowH + 6;
      const bars = g.bars
        .map((b, si) => {
          if (!b || !Number.isFinite(b.median)) return "";
          const c = COLORS[si % COLORS.length];
          const y = y0 + si * 14;
          const x = xs.map(b.median);
          return `<rect x="${num(base)}" y="${y}" width="${num(Math.max(1, x - base))}" height="12" fill="${c}" fill-opacity="0.85"/>${whisker(false, y + 6, xs.map(b.min), xs.map(b.max), "#222")}<text x="${num(Math.max(x, xs.map(b.max)) + 5)}" y="${y + 10}" font-size="10">${label(b.median)}</text>`;
        })
        .join("");
      return `<text x="${L - 6}" y="${num(y0 + (rowH - 12) / 2 + 4)}" text-anchor="end">${esc(g.label)}</text>${bars}`;
    })
    .join("\n");
  const axes = `<line x1="${L}" y1="${T - 4}" x2="${L}" y2="${H - B}" stroke="#000"/><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#000"/>`;
  const unitText = `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(unit)}${log ? " (log scale)" : ""}; bar: median, whisker: min–max</text>`;
  return frame(W, H, title, `${grid}\n${axes}\n${rows}\n${unitText}\n${series.length > 1 ? legend(series, L, 46) : ""}\n`);
}
