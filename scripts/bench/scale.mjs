// The scale of issue 18: one SR of 10,000 volumes, filled through Volume.create, and what must
// not grow with it. Volume.stat on one of its volumes against one of an SR of 10 (interleaved),
// SR.ls of the whole SR, and the GC: a fresh worker's passes with nothing to do, then one after
// 100 volumes got a snapshot and lost their head (100 tombstones, half of them trashable), with
// the worker's and its librados session's peak memory (gc-memory.mjs's sampling). The first of
// those passes is the SR's first ever: it opens every image (no view kept yet: volume/gc/
// image-view.ts), and is reported apart; the goal is the passes after it.
import { log } from "./base.mjs";
import { callVerb } from "./commands.mjs";
import { giveWork, workerRun } from "./gc-memory.mjs";
import { fillVolumes, withSr } from "./sr.mjs";
import { fmt, fmtRatio, fmtSummary, pairedRatio, summary, table } from "./stats.mjs";

const GOALS = { statRatio: 1.15, lsMs: 1000, passMs: 10_000, mib: 100 };

const verdict = (ok, quick) => `${ok ? "PASS" : "MISS"}${quick ? " (quick run: not a verdict)" : ""}`;

// The worker's passes and its peak with its session (the goal counts the two together).
const gcFigures = (w, skip = 0) => ({
  passMs: summary(w.passes.slice(skip).map((p) => p.ms)),
  withSessionMiB: w.workerPeakMiB + w.sessionPeakMiB,
  workerMiB: w.workerPeakMiB,
  sessionMiB: w.sessionPeakMiB,
  passes: w.passes.length,
  failed: w.failed,
});

export default {
  id: "scale",
  title: "An SR of 10,000 volumes: Volume.stat, SR.ls and the GC",
  async run({ quick, runs }) {
    const [small, big, tombs] = quick ? [3, 20, 2] : [10, 10_000, 100];
    const n = runs(10, 2);
    const deadline = (quick ? 5 : 30) * 60_000;
    const r = await withSr(
      "bench scale small",
      (a) =>
        withSr(
          "bench scale big",
          async (b) => {
            const [va] = await fillVolumes(a.sr, 0, small, "scale-small");
            const vols = await fillVolumes(b.sr, 0, big, "scale-big");
            const stat = [[], []];
            let entries;
            for (let i = 0; i < n; i++) {
              stat[0].push((await callVerb("Volume.stat", { sr: a.sr, key: va.key })).ms);
              const s = await callVerb("Volume.stat", { sr: b.sr, key: vols[0].key });
              stat[1].push(s.ms);
              entries = s.entries;
            }
            log(`scale: Volume.stat ${fmt(summary(stat[0]).median)} ms at ${small}, ${fmt(summary(stat[1]).median)} ms at ${big}`);
            const ls = [];
            for (let i = 0; i < runs(3, 1); i++) {
              const l = await callVerb("SR.ls", { sr: b.sr });
              if (l.json.length !== big) throw new Error(`SR.ls returned ${l.json.length} volumes, expected ${big}`);
              ls.push(l.ms);
            }
            log(`scale: SR.ls of ${big} volumes ${fmt(summary(ls).median)} ms`);
            const idleRun = await workerRun(b, 3, deadline);
            const first = idleRun.passes[0]?.ms;
            log(`scale: the SR's first GC pass (every image opened): ${fmt(first)} ms`);
            const idle = gcFigures(idleRun, 1);
            log(`scale: GC passes with nothing to do: ${fmtSummary(idle.passMs)} ms, ${fmt(idle.withSessionMiB)} MiB with the session`);
            await giveWork(b.sr, vols.slice(big - tombs));
            const busy = gcFigures(await workerRun(b, 1, deadline));
            log(`scale: GC pass with ${tombs} tombstones: ${fmtSummary(busy.passMs)} ms, ${fmt(busy.withSessionMiB)} MiB with the session`);
            // The same worker on the small SR: what a worker and its session take whatever the SR
            // holds, the floor under the memory goal.
            // Its passes take a tenth of a second: sampled every 10 ms.
            const floor = gcFigures(await workerRun(a, 5, deadline, 10));
            log(`scale: GC worker of the ${small}-volume SR: ${fmt(floor.withSessionMiB)} MiB with the session`);
            return { stat, entries, ls, first, idle, busy, floor };
          },
          { keepOnThrowaway: true },
        ),
      { keepOnThrowaway: true },
    );
    const statRatio = pairedRatio(r.stat[1], r.stat[0]);
    const ls = summary(r.ls);
    const gcRow = (label, g) => [
      label,
      `${g.passes}${g.failed.length ? ` (+${g.failed.length} failed)` : ""}`,
      fmtSummary(g.passMs),
      fmt(g.workerMiB),
      fmt(g.sessionMiB),
      fmt(g.withSessionMiB),
    ];
    const passOk = (g) => g.passes > 0 && g.passMs.max <= GOALS.passMs;
    const markdown = [
      `Two SRs filled through Volume.create (4 at a time) to ${small} and ${big} thin 1 GiB volumes. Volume.stat: ${n} runs on one volume of each, interleaved (entries: the omap entries it read at ${big}: ${r.entries}). SR.ls: ${r.ls.length} run(s) of the ${big}-volume SR. GC: a fresh \`ceph-rbd-admin gc worker\` of that SR until it has made 3 passes with nothing to do, the first of which is the SR's first pass ever (it opens every image: ${fmt(r.first)} ms; the passes after it open only images whose header changed, and one in 64 to refresh); then ${tombs} of its volumes each got a snapshot and lost their head (half of those snapshots destroyed too) and a fresh worker made 1 pass; last, a fresh worker of the ${small}-volume SR made 5 passes, sampled every 10 ms (the floor: a worker and its session with next to nothing to hold). Memory as in "GC worker memory" (VmHWM of the worker and of its librados session).`,
      "",
      table(
        ["measure", "figure", "goal"],
        [
          [
            `Volume.stat at ${big} / at ${small} (per run)`,
            `${fmtSummary(statRatio, fmtRatio)} (${fmt(summary(r.stat[1]).median)} vs ${fmt(summary(r.stat[0]).median)} ms)`,
            `≤ ${GOALS.statRatio}×: ${verdict(statRatio.median <= GOALS.statRatio, quick)}`,
          ],
          [`SR.ls at ${big} volumes, ms`, fmtSummary(ls), `≤ ${GOALS.lsMs} ms: ${verdict(ls.median <= GOALS.lsMs, quick)}`],
          [`the SR's first GC pass (every image opened), ms`, fmt(r.first), "-"],
          [`GC pass at ${big}, nothing to do, ms`, fmtSummary(r.idle.passMs), `≤ ${GOALS.passMs} ms: ${verdict(passOk(r.idle), quick)}`],
          [`GC pass at ${big}, ${tombs} tombstones, ms`, fmtSummary(r.busy.passMs), `≤ ${GOALS.passMs} ms: ${verdict(passOk(r.busy), quick)}`],
          [
            "GC worker + its session, peak RSS MiB",
            fmt(Math.max(r.idle.withSessionMiB, r.busy.withSessionMiB)),
            `≤ ${GOALS.mib} MiB: ${verdict(Math.max(r.idle.withSessionMiB, r.busy.withSessionMiB) <= GOALS.mib, quick)}`,
          ],
        ],
      ),
      "",
      table(
        ["GC worker", "passes", "pass ms: median (min–max)", "worker peak MiB", "session peak MiB", "together MiB"],
        [gcRow("nothing to do", r.idle), gcRow(`${tombs} tombstones`, r.busy), gcRow(`the ${small}-volume SR (floor)`, r.floor)],
      ),
      ...([...r.idle.failed, ...r.busy.failed, ...r.floor.failed].length
        ? ["", `Passes that failed: ${[...new Set([...r.idle.failed, ...r.busy.failed, ...r.floor.failed])].join("; ")}.`]
        : []),
    ].join("\n");
    const peak = Math.max(r.idle.withSessionMiB, r.busy.withSessionMiB);
    return {
      markdown,
      headline: [
        {
          what: `Volume.stat at ${big} volumes vs at ${small}`,
          ours: `${fmt(summary(r.stat[1]).median)} ms`,
          theirs: `${fmt(summary(r.stat[0]).median)} ms`,
          ratio: statRatio,
          of: `at ${big} / at ${small} (time)`,
        },
        { what: `SR.ls at ${big} volumes`, ours: `${fmt(ls.median)} ms`, theirs: `goal ≤ ${GOALS.lsMs} ms: ${verdict(ls.median <= GOALS.lsMs, quick)}` },
        {
          what: `GC pass at ${big} volumes (nothing to do / ${tombs} tombstones)`,
          ours: `${fmt(r.idle.passMs?.median)} / ${fmt(r.busy.passMs?.median)} ms`,
          theirs: `goal ≤ ${GOALS.passMs} ms: ${verdict(passOk(r.idle) && passOk(r.busy), quick)}`,
        },
        {
          what: `GC worker + session peak RSS at ${big} volumes`,
          ours: `${fmt(peak)} MiB`,
          theirs: `goal ≤ ${GOALS.mib} MiB: ${verdict(peak <= GOALS.mib, quick)}; at ${small} volumes ${fmt(r.floor.withSessionMiB)} MiB`,
        },
      ],
      data: { small, big, tombs, ...r },
    };
  },
};
