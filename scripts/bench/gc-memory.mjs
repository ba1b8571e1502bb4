// The GC worker's resident memory with many volumes in the SR (issue 4's goal: at most 100 MiB
// with 1000). One SR filled with thin volumes; before each run a handful of them get a snapshot
// and lose their head (a tombstone to reclaim), half of those snapshots go too (a tombstone
// nothing needs: to the trash, then purged), so that the passes have work. Then a fresh
// `ceph-rbd-admin gc worker --sr SR` (CEPH_RBD_GC_INTERVAL=2) runs until it has made its passes
// (counted from the SR's `gc:status` omap entry, which each pass rewrites, and from the
// "gc pass failed" warnings of passes that throw), its VmHWM and VmRSS read from
// /proc/PID/status every 0.5 s, and is stopped with SIGTERM. The worker's children (its librados
// session, a Python process) are sampled alongside: the goal is for the two together.
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { barChart } from "./svg.mjs";
import { log, sleep } from "./base.mjs";
import { callVerb, cephArgs } from "./commands.mjs";
import { childEnv } from "./env.mjs";
import { argvOf, childrenOf, procStatus } from "./proc.mjs";
import { pool, run } from "./process.mjs";
import { fillVolumes, withSr } from "./sr.mjs";
import { cluster, state, tree } from "./state.mjs";
import { fmt, fmtSummary, median, summary, table } from "./stats.mjs";

const GOAL_MIB = 100;
const POLL_MS = 500;
const INTERVAL_S = "2";

// The last pass's record, or undefined before the first.
async function gcStatus(namespace) {
  const file = join(tree.runDir, `gc-status-${namespace}`);
  rmSync(file, { force: true });
  const r = await run("rados", [...cephArgs(), "--pool", cluster.pool, "--namespace", namespace, "getomapval", "ceph_rbd_sr", "gc:status", file]);
  if (r.code !== 0) {
    if (/No such key/.test(r.stdout + r.stderr)) return undefined;
    throw new Error(`rados getomapval gc:status exited ${r.code ?? r.signal}: ${(r.stdout + r.stderr).trim().slice(-500)}`);
  }
  return JSON.parse(readFileSync(file, "utf8"));
}

export async function giveWork(sr, batch) {
  const snaps = await pool(batch.length, 4, (i) => callVerb("Volume.snapshot", { sr, key: batch[i].key }));
  await pool(batch.length, 4, (i) => callVerb("Volume.destroy", { sr, key: batch[i].key }));
  await pool(Math.ceil(batch.length / 2), 4, (i) => callVerb("Volume.destroy", { sr, key: snaps[i].json.key }));
}

// One fresh worker until `want` passes are made (or `deadlineMs` passes): its memory and passes.
// The worker ends its session after each pass: passes much shorter than `pollMs` need a shorter
// one for the session to be sampled at all.
export async function workerRun(s, want, deadlineMs, pollMs = POLL_MS) {
  const seen = new Set([(await gcStatus(s.namespace))?.at]);
  const passes = [];
  const failed = [];
  const samples = [];
  let child;
  let partial = "";
  // With the node flags SR.attach starts the worker with (volume/gc/control.ts).
  const { WORKER_NODE_FLAGS } = createRequire(import.meta.url)(join(tree.dir, "lib/admin.cjs"));
  const env = childEnv({ CEPH_RBD_GC_INTERVAL: INTERVAL_S, CEPH_RBD_LOG_STDERR: "warning" });
  const done = run(process.execPath, [...WORKER_NODE_FLAGS, tree.admin, "gc", "worker", "--sr", s.sr], {
    env,
    onStdout: (stdout, c) => {
      child = c;
      stdout.resume();
      // A pass that throws writes no gc:status, only this warning.
      c.stderr.on("data", (d) => {
        const lines = (partial + d).split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) if (/gc pass failed: /.test(l)) failed.push(l.replace(/^.*gc pass failed: /, "").slice(0, 300));
      });
    },
  });
  let exited = false;
  done.then(() => (exited = true));
  const t0 = Date.now();
  const sampler = setInterval(() => {
    const st = procStatus(child.pid);
    if (!st || !Number.isFinite(st.rss)) return;
    const kids = childrenOf(child.pid)
      .map((pid) => ({ ...procStatus(pid), session: argvOf(pid).some((a) => a.endsWith("ceph-session.py")) }))
      .filter((k) => Number.isFinite(k.rss));
    const sum = (k, which = () => true) => kids.filter(which).reduce((a, x) => a + x[k], 0);
    samples.push({ ...st, kidsRss: sum("rss"), kidsHwm: sum("hwm"), sessionHwm: sum("hwm", (k) => k.session), cliHwm: sum("hwm", (k) => !k.session) });
  }, pollMs);
  try {
    while (passes.length + failed.length < want) {
      if (exited) throw new Error(`the gc worker exited early: ${(await done).stderr.trim().slice(-1000)}`);
      if (state.interrupted) throw new Error("interrupted");
      if (Date.now() - t0 > deadlineMs) break;
      const st = await gcStatus(s.namespace);
      if (st && st.pid === child.pid && !seen.has(st.at)) {
        seen.add(st.at);
        passes.push({ ms: st.ms, done: st.done.length, failed: st.failed.length, ...(st.paused ? { paused: st.paused } : {}) });
        log(`gc-memory: pass ${passes.length}: ${st.ms} ms, ${st.done.length} done, ${st.failed.length} failed; RSS ${fmt(samples.at(-1)?.rss / 1024)} MiB`);
      }
      await sleep(POLL_MS);
    }
  } finally {
    child.kill("SIGTERM");
    const r = await done;
    clearInterval(sampler);
    if (r.code !== 0) log(`gc-memory: the gc worker exited ${r.code ?? r.signal} after SIGTERM: ${r.stderr.trim().slice(-500)}`);
  }
  const max = (xs) => Math.max(...xs.filter(Number.isFinite)) / 1024;
  const workerPeak = max(samples.map((x) => x.hwm));
  const childrenPeak = max(samples.map((x) => x.kidsHwm));
  return {
    seconds: Math.round((Date.now() - t0) / 1000),
    passes,
    failed,
    samples: samples.length,
    workerPeakMiB: workerPeak,
    sessionPeakMiB: max(samples.map((x) => x.sessionHwm)),
    cliPeakMiB: max(samples.map((x) => x.cliHwm)),
    // The worker's peak and its children's highest total at one sample, added: at least the
    // highest total at any moment.
    peakMiB: workerPeak + childrenPeak,
    medianMiB: median(samples.map((x) => (x.rss + x.kidsRss) / 1024)),
  };
}

export default {
  id: "gc-memory",
  title: "GC worker memory with many volumes in the SR",
  async run({ quick, runs, figure }) {
    const volumes = quick ? 20 : 1000;
    const want = quick ? 1 : 5;
    const handful = quick ? 2 : 10;
    const n = runs(3, 1);
    const workers = await withSr(
      "bench gc-memory SR",
      async (s) => {
        const vols = await fillVolumes(s.sr, 0, volumes, "mem");
        const out = [];
        for (let r = 0; r < n; r++) {
          await giveWork(s.sr, vols.slice(r * handful, (r + 1) * handful));
          const w = await workerRun(s, want, (quick ? 5 : 20) * 60_000);
          log(
            `gc-memory: run ${r + 1}: peak RSS ${fmt(w.peakMiB)} MiB (worker ${fmt(w.workerPeakMiB)}; children: session ${fmt(w.sessionPeakMiB)}, CLIs ${fmt(w.cliPeakMiB)}) over ${w.passes.length} passes (${w.seconds} s)`,
          );
          out.push(w);
        }
        return out;
      },
      { keepOnThrowaway: true },
    );
    const peak = summary(workers.map((w) => w.peakMiB));
    if (!peak) throw new Error("no memory sample of the gc worker");
    const med = summary(workers.map((w) => w.medianMiB));
    const passMs = summary(workers.flatMap((w) => w.passes.map((p) => p.ms)));
    // The goal read three ways: the worker process (as measured before it had a session), the
    // worker with its librados session (what our code runs during a pass), everything.
    const top = (f) => Math.max(...workers.map(f));
    const worker = top((w) => w.workerPeakMiB);
    const withSession = top((w) => w.workerPeakMiB + w.sessionPeakMiB);
    const judge = (mib) => `${mib <= GOAL_MIB ? "PASS" : "MISS"}${quick ? ` (quick run, ${volumes} volumes: not a verdict)` : ""}`;
    const verdict = judge(worker);
    log(
      `gc-memory: goal peak RSS <= ${GOAL_MIB} MiB with ${volumes} volumes: worker ${fmt(worker)} MiB ${verdict}; with its session ${fmt(withSession)} MiB ${judge(withSession)}; with every child ${fmt(peak.max)} MiB`,
    );
    const short = workers
      .filter((w) => w.passes.length + w.failed.length < want)
      .map((w, i) => `run ${i + 1}: ${w.passes.length} passes in ${w.seconds} s (deadline)`);
    const failedText = [...new Set(workers.flatMap((w) => w.failed))];
    const svg = barChart({
      title: `GC worker resident memory, ${volumes} volumes in the SR`,
      unit: "MiB",
      series: ["peak, worker + children", "worker (Node)", "librados session (Python)", "Ceph CLIs", "median VmRSS, all"],
      groups: [
        { label: `${volumes} volumes`, bars: [peak, ...["workerPeakMiB", "sessionPeakMiB", "cliPeakMiB"].map((k) => summary(workers.map((w) => w[k]))), med] },
      ],
    });
    const markdown = [
      `One SR of ${volumes} thin 1 GiB volumes. ${n} run(s), each a fresh \`ceph-rbd-admin gc worker --sr SR\` (CEPH_RBD_GC_INTERVAL=${INTERVAL_S}) after ${handful} volumes got a snapshot and lost their head (half of those snapshots destroyed too), stopped with SIGTERM after ${want} pass(es); VmHWM and VmRSS from /proc/PID/status every 0.5 s, of the worker and of its children (its librados session, a Python process, and the Ceph CLIs it runs), passes from the SR's \`gc:status\`. The peak is the worker's peak plus its children's highest total at one sample (each child's own peak).`,
      "",
      figure("gc-memory", "GC worker resident memory", svg),
      "",
      table(
        [
          "run",
          "passes",
          "pass ms: median (min–max)",
          "peak RSS MiB: worker + children",
          "worker (Node)",
          "session (Python)",
          "Ceph CLIs",
          "median VmRSS MiB, all",
          "samples",
          "seconds",
        ],
        workers.map((w, i) => [
          i + 1,
          w.passes.length,
          fmtSummary(summary(w.passes.map((p) => p.ms))),
          fmt(w.peakMiB),
          fmt(w.workerPeakMiB),
          fmt(w.sessionPeakMiB),
          fmt(w.cliPeakMiB),
          fmt(w.medianMiB),
          w.samples,
          w.seconds,
        ]),
      ),
      "",
      `Goal (issue 4): peak RSS at most ${GOAL_MIB} MiB with 1000 volumes. The worker process: ${fmt(worker)} MiB, **${verdict}**. With its librados session, the Python process it runs during a pass (and ends after it): ${fmt(withSession)} MiB, **${judge(withSession)}**. With every child, the Ceph CLIs too (\`rbd ls -l\`...): ${fmt(peak.max)} MiB. A pass took ${fmtSummary(passMs)} ms.`,
      ...(short.length ? ["", `Fewer passes than asked: ${short.join("; ")}.`] : []),
      ...(failedText.length ? ["", `Passes that failed: ${failedText.join("; ")}.`] : []),
    ].join("\n");
    return {
      markdown,
      headline: [
        {
          what: `GC worker peak RSS at ${volumes} volumes`,
          ours: `${fmt(worker)} MiB, a pass ${fmt(passMs?.median)} ms`,
          theirs: `goal ≤ ${GOAL_MIB} MiB: ${verdict}`,
        },
        {
          what: `GC worker + its librados session, peak RSS`,
          ours: `${fmt(withSession)} MiB (all children: ${fmt(peak.max)} MiB)`,
          theirs: `goal ≤ ${GOAL_MIB} MiB: ${judge(withSession)}`,
        },
      ],
      data: { volumes, handful, passesWanted: want, goalMiB: GOAL_MIB, workers },
    };
  },
};
