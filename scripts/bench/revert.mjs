// Reverting a disk to its snapshot, three ways, against the volume's virtual size with the same
// data written:
//   native    Volume.revert (a clone of the snapshot becomes the volume's image: no copy);
//   rollback  `rbd snap rollback` (rewrites the image in place);
//   old flow  what xapi does without VDI_REVERT (XCP-ng 8.3): Volume.destroy of the disk, then
//             Volume.clone of its snapshot, then `rbd flatten` of that clone (it is chained to a
//             tombstone): timed as destroy + clone + flatten.
// Each run gets a fresh volume: Volume.create; D written (`rbd bench`, sequential 4 MiB writes
// from offset 0); Volume.snapshot; D written again over the same range; a 3 s pause; then the
// method alone is timed; then everything is destroyed and collected by the GC (untimed), so that the pool holds
// at most one run's data. The order of the methods rotates from run to run. Two SR kinds: the
// default image features (object-map), and `image_features=layering,exclusive-lock` (no
// object-map, as for XCP-ng 8.3's kernel RBD). That the reverted volume holds the snapshot's data
// is the revert integration test's business (checksums), not this one's.
import { lineChart } from "./svg.mjs";
import { GiB, log, MiB, sleep } from "./base.mjs";
import { callVerb, ceph } from "./commands.mjs";
import { collect, volumeSpec, withSr } from "./sr.mjs";
import { fmtRatio, fmtSummary, pairedRatio, sizeText, summary, table } from "./stats.mjs";

const METHODS = ["native", "rollback", "oldflow"];
const LABEL = { native: "native revert", rollback: "rbd snap rollback", oldflow: "old flow + flatten" };
const KINDS = {
  om: { label: "default features (object-map)", extra: {} },
  no: { label: "layering,exclusive-lock (no object-map)", extra: { image_features: "layering,exclusive-lock" } },
};

const SETTLE_MS = 3000;

const write = (spec, bytes) =>
  ceph("rbd", ["bench", "--io-type", "write", "--io-size", "4M", "--io-threads", "16", "--io-total", String(bytes), "--io-pattern", "seq", spec]);

// One run of one method; returns its time in ms (and the old flow's parts).
async function once(s, sizeGiB, written, method, tag, quick) {
  const keys = [];
  try {
    const vol = (await callVerb("Volume.create", { sr: s.sr, name: `revert ${tag}`, description: "bench", size: sizeGiB * GiB, sharable: false })).json;
    keys.push(vol.key);
    const spec = volumeSpec(vol).spec;
    await write(spec, written);
    const snap = (await callVerb("Volume.snapshot", { sr: s.sr, key: vol.key })).json;
    keys.push(snap.key);
    await write(spec, written);
    // A disk is reverted with its VM halted: the method is timed on a settled cluster, not while
    // the OSD is still busy with what was just written (or with the previous run's purge).
    if (!quick) await sleep(SETTLE_MS);
    if (method === "native") {
      const r = await callVerb("Volume.revert", { sr: s.sr, key: vol.key, snapshot: snap.key });
      return { ms: r.ms, calls: r.calls, cli: r.cli };
    }
    if (method === "rollback") return { ms: (await ceph("rbd", ["snap", "rollback", "--no-progress", parseSnap(snap)])).ms };
    const d = await callVerb("Volume.destroy", { sr: s.sr, key: vol.key });
    keys.shift();
    const c = await callVerb("Volume.clone", { sr: s.sr, key: snap.key });
    keys.push(c.json.key);
    const f = await ceph("rbd", ["flatten", "--no-progress", volumeSpec(c.json).spec]);
    return { ms: d.ms + c.ms + f.ms, parts: { destroyClone: d.ms + c.ms, flatten: f.ms } };
  } finally {
    for (const key of keys.reverse()) await callVerb("Volume.destroy", { sr: s.sr, key }, { ignoreInterrupt: true });
    // The pool keeps at most one run's data (--quick writes little: the SR's clean-up collects).
    if (!quick) await collect(s.sr, { ignoreInterrupt: true });
  }
}
const parseSnap = (snap) => {
  const spec = volumeSpec(snap).spec;
  if (!spec.includes("@")) throw new Error(`Volume.snapshot returned a URI without snap=: ${snap.uri[0]}`);
  return spec;
};

const list = (v, fallback) => (v ? String(v).split(",").map(Number) : fallback);

export default {
  id: "revert",
  title: "Revert time against volume size",
  async run({ quick, runs, figure, args }) {
    const sizes = list(args["revert-sizes"], quick ? [1, 4] : [1, 4, 16, 64]);
    const data = list(args["revert-data"], quick ? [16] : [256, 4096]);
    const kinds = args["revert-srs"] ? String(args["revert-srs"]).split(",") : quick ? ["om"] : ["om", "no"];
    // D >= 1 GiB cells cost minutes a run: --revert-runs-large can give them fewer runs.
    const runsFor = (dataMiB) => (dataMiB >= 1024 && args["revert-runs-large"] ? Number(args["revert-runs-large"]) : runs(3, 1));
    const cells = [];
    for (const dataMiB of data) {
      for (const kind of kinds) {
        for (const sizeGiB of sizes) {
          const writtenMiB = Math.min(dataMiB, sizeGiB * 1024);
          cells.push({ kind, sizeGiB, dataMiB, writtenMiB, native: [], rollback: [], oldflow: [], parts: [], calls: [], cli: [] });
        }
      }
    }
    // One SR per kind, all made first. Every cell gets its first run before any gets a second, so
    // that a run cut short still has a point for every cell.
    const srs = {};
    const withSrs = async (rest, fn) =>
      rest.length ? withSr(`bench revert ${rest[0]}`, (s) => ((srs[rest[0]] = s), withSrs(rest.slice(1), fn)), { extra: KINDS[rest[0]].extra }) : fn();
    let stopped;
    await withSrs(kinds, async () => {
      try {
        await matrix();
      } catch (e) {
        // What was measured is still reported (an interrupted full run keeps its figures).
        stopped = e instanceof Error ? e.message : String(e);
        log(`revert: stopped: ${stopped}`);
      }
    });
    async function matrix() {
      const most = Math.max(...data.map(runsFor));
      for (let r = 0; r < most; r++) {
        for (const cell of cells.filter((c) => r < runsFor(c.dataMiB))) {
          for (let i = 0; i < METHODS.length; i++) {
            const method = METHODS[(i + r) % METHODS.length];
            const tag = `${cell.kind} ${cell.sizeGiB} GiB D=${sizeText(cell.dataMiB)} ${method} #${r + 1}`;
            const t = await once(srs[cell.kind], cell.sizeGiB, cell.writtenMiB * MiB, method, tag, quick);
            cell[method][r] = t.ms;
            if (t.parts) cell.parts[r] = t.parts;
            if (t.calls) cell.calls.push(t.calls);
            if (t.cli !== undefined) cell.cli.push(t.cli);
            log(`revert: ${tag}: ${(t.ms / 1000).toFixed(2)} s`);
          }
        }
      }
    }
    const sec = (x) => (Number.isFinite(x) ? (x / 1000).toFixed(x >= 10000 ? 1 : 2) : "-");
    const parts = [
      `Each cell: ${data.map((d) => `${runsFor(d)} run(s) at D = ${sizeText(d)}`).join(", ")} of each method on a fresh volume, D written before and after the snapshot (capped at the size)${quick ? "" : `, then a ${SETTLE_MS / 1000} s pause before the timed method (a disk is reverted with its VM halted)`}, methods in rotating order. Seconds, median (min–max); ratios per run (the methods' r-th runs against each other), then their median (min–max).`,
      "",
    ];
    const headline = [];
    for (const kind of kinds) {
      for (const dataMiB of data) {
        const cs = cells.filter((c) => c.kind === kind && c.dataMiB === dataMiB && c.native.length + c.rollback.length + c.oldflow.length > 0);
        if (!cs.length) continue;
        const svg = lineChart({
          title: `Revert, ${KINDS[kind].label}, D = ${sizeText(dataMiB)}`,
          xLabel: "virtual size (GiB)",
          yLabel: "seconds",
          xLog: true,
          yLog: true,
          xTicks: sizes,
          series: METHODS.map((m) => ({ name: LABEL[m], points: cs.map((c) => ({ x: c.sizeGiB, ...scaled(summary(c[m])) })) })),
        });
        parts.push(
          `### ${KINDS[kind].label}, D = ${sizeText(dataMiB)} written after the snapshot`,
          "",
          figure(`revert-${kind}-${dataMiB}M`, `Revert time, ${KINDS[kind].label}, D = ${sizeText(dataMiB)}`, svg),
          "",
        );
        parts.push(
          table(
            ["size", "written", "native", "rollback", "old flow (destroy+clone / flatten)", "rollback / native", "old flow / native"],
            cs.map((c) => [
              `${c.sizeGiB} GiB`,
              sizeText(c.writtenMiB),
              fmtSummary(summary(c.native), sec),
              fmtSummary(summary(c.rollback), sec),
              `${fmtSummary(summary(c.oldflow), sec)} (${sec(summary(c.parts.map((p) => p?.destroyClone))?.median)} / ${sec(summary(c.parts.map((p) => p?.flatten))?.median)})`,
              fmtSummary(pairedRatio(c.rollback, c.native), fmtRatio),
              fmtSummary(pairedRatio(c.oldflow, c.native), fmtRatio),
            ]),
          ),
          "",
        );
        const big = cs[cs.length - 1];
        if (big) {
          const where = `${big.sizeGiB} GiB, D = ${sizeText(dataMiB)}, ${kind === "om" ? "object-map" : "no object-map"}`;
          headline.push({
            what: `revert (${where})`,
            ours: `native ${sec(summary(big.native)?.median)} s`,
            theirs: `rbd snap rollback ${sec(summary(big.rollback)?.median)} s`,
            ratio: pairedRatio(big.rollback, big.native),
            of: "rollback / native (time)",
          });
          headline.push({
            what: `revert (${where})`,
            ours: `native ${sec(summary(big.native)?.median)} s`,
            theirs: `old flow + flatten ${sec(summary(big.oldflow)?.median)} s`,
            ratio: pairedRatio(big.oldflow, big.native),
            of: "old flow / native (time)",
          });
        }
      }
    }
    const calls = summary(cells.flatMap((c) => c.calls));
    const cli = summary(cells.flatMap((c) => c.cli));
    const span = (x) => (x.min === x.max ? String(x.min) : `${x.min}–${x.max}`);
    if (calls)
      parts.push(
        `Volume.revert made ${span(calls)} Ceph calls in every cell${cli ? ` (${span(cli)} of them CLI processes, the rest through its librados session)` : ""}: metadata and image headers only, whatever the size.`,
      );
    if (stopped) parts.push("", `**Stopped early** (${stopped}): the cells above are those measured before.`);
    return {
      markdown: parts.join("\n"),
      headline,
      failure: stopped,
      data: cells.map((c) => ({ ...c, native: c.native.map(Math.round), rollback: c.rollback.map(Math.round), oldflow: c.oldflow.map(Math.round) })),
    };
  },
};

// ms figures to seconds, for the plot.
const scaled = (s) => (s ? { median: s.median / 1000, min: s.min / 1000, max: s.max / 1000 } : { median: NaN });
