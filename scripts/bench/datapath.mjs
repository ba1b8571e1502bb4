// The rbd+nbd datapath: set-up and tear-down times (Datapath.attach + activate, which starts the
// volume's qemu-storage-daemon; deactivate + detach), and the export against librbd on the same
// image, like with like (datapath-io.mjs): the same request size, depth and one connection on
// each side; sequential 4 MiB and random 4 KiB writes and reads at 16 in flight, and random
// 4 KiB reads one at a time (latency). The image is filled first, so that reads hit data. Each
// run measures both sides back to back, alternating which goes first (the export is down while
// librbd runs: the two would trade the exclusive lock).
import { existsSync, readFileSync } from "node:fs";
import { barChart } from "./svg.mjs";
import { log, MiB } from "./base.mjs";
import { callDatapath, callVerb, ceph, rbdFill } from "./commands.mjs";
import { discardReturned, fioNbd, rbdBench, rbdLatency, WORKLOADS } from "./datapath-io.mjs";
import { withSr } from "./sr.mjs";
import { fmt, fmtRatio, fmtSummary, pairedRatio, summary, table } from "./stats.mjs";

const THROUGHPUT = WORKLOADS.filter((w) => w.depth > 1);
const QD1 = WORKLOADS.find((w) => w.depth === 1);
const READS = WORKLOADS.filter((w) => w.fio.includes("read"));
const value = (w, r) => (w.depth === 1 ? r.p50us : w.unit === "IOPS" ? r.iops : r.mibPerS);
const pidOf = (socket) => Number(readFileSync(socket.replace(/\.sock$/, ".pid"), "utf8").trim());

export default {
  id: "datapath",
  title: "Datapath throughput through rbd+nbd against rbd bench",
  async run({ quick, runs, figure }) {
    const IMAGE = quick ? 64 * MiB : 2048 * MiB;
    const SEQ = quick ? 64 * MiB : 1024 * MiB;
    const RAND_OPS = quick ? 500 : 20000;
    const QD1_OPS = quick ? 100 : 3000;
    const bytes = (w) => (w.depth === 1 ? QD1_OPS * w.size : w.size >= MiB ? SEQ : RAND_OPS * w.size);
    const n = runs(3, 1);
    const cycles = quick ? 1 : Math.max(5, n);
    const commands = {};
    const out = await withSr(
      "bench datapath SR",
      async (s) => {
        const vol = (await callVerb("Volume.create", { sr: s.sr, name: "bench", description: "bench", size: IMAGE, sharable: false })).json;
        const uri = vol.uri.find((u) => u.startsWith("rbd+nbd://"));
        if (!uri) throw new Error(`Volume.create returned no rbd+nbd URI: ${JSON.stringify(vol.uri)}`);
        const [pool, namespace, image] = uri
          .replace(/^rbd\+nbd:\/\/([^?]+)\?.*$/, "$1")
          .split("/")
          .map(decodeURIComponent);
        const spec = `${pool}/${namespace}/${image}`;
        let up = false;
        const start = async (domain) => {
          const a = await callDatapath("attach", { uri, domain });
          up = true;
          const nbd = a.json.implementations.find(([k]) => k === "Nbd")?.[1]?.uri;
          const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd ?? "");
          if (!m) throw new Error(`Datapath.attach returned no Nbd URI: ${JSON.stringify(a.json)}`);
          const b = await callDatapath("activate", { uri, domain });
          if (!existsSync(m[1])) throw new Error(`after Datapath.activate, no socket at ${m[1]}`);
          return { up: a.ms + b.ms, nbd: `nbd+unix:///${m[2]}?socket=${m[1]}`, pid: pidOf(m[1]) };
        };
        const stop = async (domain) => {
          const c = await callDatapath("deactivate", { uri, domain }, { ignoreInterrupt: true });
          const d = await callDatapath("detach", { uri, domain }, { ignoreInterrupt: true });
          up = false;
          return c.ms + d.ms;
        };
        try {
          await start("1"); // untimed: the page cache for node, the bundle and qemu-storage-daemon
          await stop("1");
          const cyc = { up: [], down: [] };
          for (let i = 0; i < cycles; i++) {
            cyc.up.push((await start(String(i + 2))).up);
            cyc.down.push(await stop(String(i + 2)));
          }
          log(`datapath: filling the ${IMAGE / MiB} MiB image (untimed)`);
          await rbdFill(spec, IMAGE, 16);
          const sides = { nbd: [], rbd: [], rbdQd1Mean: [] };
          for (let r = 0; r < n; r++) {
            for (const side of r % 2 ? ["rbd", "nbd"] : ["nbd", "rbd"]) {
              const got = {};
              if (side === "rbd") {
                for (const w of THROUGHPUT) got[w.id] = await rbdBench(w, spec, bytes(w), commands);
                got[QD1.id] = await rbdLatency(pool, namespace, image, IMAGE, QD1_OPS, commands);
                sides.rbdQd1Mean[r] = (await rbdBench(QD1, spec, bytes(QD1), commands)).meanUs;
              } else {
                const domain = String(100 + r);
                const { nbd, pid } = await start(domain);
                try {
                  for (const w of WORKLOADS) got[w.id] = await fioNbd(w, nbd, IMAGE, bytes(w), pid, commands);
                } finally {
                  await stop(domain);
                }
              }
              sides[side][r] = got;
              log(`datapath: run ${r + 1} ${side}: ${WORKLOADS.map((w) => `${w.id} ${fmt(value(w, got[w.id]))} ${w.unit}`).join(", ")}`);
            }
          }
          // The diagnosis of the read gap (decision 0014): the same reads with fast-diff off on
          // the image, which QEMU's rbd driver then stops asking before each read.
          await ceph("rbd", ["feature", "disable", spec, "fast-diff"]);
          const noFastDiff = { nbd: [], rbd: [] };
          for (let r = 0; r < n; r++) {
            for (const side of r % 2 ? ["rbd", "nbd"] : ["nbd", "rbd"]) {
              const got = {};
              if (side === "rbd") {
                for (const w of READS)
                  got[w.id] = w.depth === 1 ? await rbdLatency(pool, namespace, image, IMAGE, QD1_OPS, commands) : await rbdBench(w, spec, bytes(w), commands);
              } else {
                const { nbd, pid } = await start(String(300 + r));
                try {
                  for (const w of READS) got[w.id] = await fioNbd(w, nbd, IMAGE, bytes(w), pid, commands);
                } finally {
                  await stop(String(300 + r));
                }
              }
              noFastDiff[side][r] = got;
              log(`datapath: without fast-diff, run ${r + 1} ${side}: ${READS.map((w) => `${w.id} ${fmt(value(w, got[w.id]))} ${w.unit}`).join(", ")}`);
            }
          }
          // Last, as it leaves holes the reads above must not meet.
          const { nbd } = await start("200");
          let discard;
          try {
            discard = await discardReturned(nbd, spec, IMAGE / 2, commands);
          } finally {
            await stop("200");
          }
          log(`datapath: discard of ${IMAGE / 2 / MiB} MiB: rbd du ${discard.before} -> ${discard.after} bytes`);
          return { cyc, sides, noFastDiff, discard };
        } finally {
          if (up) await stop("0").catch(() => undefined);
        }
      },
      { extra: { datapath: "rbd+nbd" } },
    );
    const series = (side, w, f = (r) => value(w, r)) => out.sides[side].map((r) => f(r[w.id]));
    const ratio = (w) => pairedRatio(series("nbd", w), series("rbd", w));
    const chart = (unit, title) =>
      barChart({
        title,
        unit,
        series: ["through rbd+nbd (NBD export)", "librbd"],
        groups: WORKLOADS.filter((w) => w.unit === unit).map((w) => ({ label: w.label, bars: [summary(series("nbd", w)), summary(series("rbd", w))] })),
      });
    const cell = (side, w, f) => fmtSummary(summary(series(side, w, f)));
    const markdown = [
      `A ${IMAGE / MiB} MiB image, filled first; sequential: ${SEQ / MiB} MiB in 4 MiB requests; random: ${RAND_OPS} requests of 4 KiB; 16 in flight, one connection (one client) on each side; then ${QD1_OPS} random 4 KiB reads one at a time. Through the export: fio's nbd engine. librbd: \`rbd bench\` (fio's rbd engine cannot open an image in a RADOS namespace), and for the 1-in-flight row each read timed through Python's librbd bindings (\`scripts/bench/rbd-latency.py\`; \`rbd bench\` at depth 1 gives a mean of ${fmtSummary(summary(out.sides.rbdQd1Mean))} µs). librbd's cache is off on both sides (the export opens the image with cache.direct=on). ${n} run(s), each side in turn, ratios per run.`,
      "",
      figure(
        "datapath-seq",
        "Sequential throughput through rbd+nbd against librbd",
        chart("MiB/s", "Sequential 4 MiB I/O, 16 in flight: rbd+nbd against librbd"),
      ),
      "",
      figure("datapath-rand", "Random 4 KiB I/O through rbd+nbd against librbd", chart("IOPS", "Random 4 KiB I/O, 16 in flight: rbd+nbd against librbd")),
      "",
      table(
        [
          "test",
          "unit",
          "through rbd+nbd",
          "librbd",
          "rbd+nbd / librbd",
          "rbd+nbd latency p50 / p99 (µs)",
          "mean latency rbd+nbd / librbd (µs)",
          "machine CPU per request rbd+nbd / librbd (µs)",
        ],
        WORKLOADS.map((w) => [
          w.label,
          w.unit,
          cell("nbd", w),
          cell("rbd", w),
          fmtSummary(ratio(w), fmtRatio),
          `${fmt(summary(series("nbd", w, (x) => x.p50us))?.median)} / ${fmt(summary(series("nbd", w, (x) => x.p99us))?.median)}`,
          `${fmt(summary(series("nbd", w, (x) => x.meanUs))?.median)} / ${fmt(summary(series("rbd", w, (x) => x.meanUs))?.median)}`,
          `${fmt(summary(series("nbd", w, (x) => x.cpuUsPerOp))?.median)} / ${fmt(summary(series("rbd", w, (x) => x.cpuUsPerOp))?.median)}`,
        ]),
      ),
      "",
      `The same reads on the same image with fast-diff disabled (\`rbd feature disable\`), which QEMU's rbd driver then no longer consults before each read: the diagnosis of the read gap (decision 0014: with fast-diff, QEMU's NBD server asks the driver for holes before every read, a synchronous librbd diff with one more OSD round trip while the connection's other requests wait).`,
      "",
      table(
        ["test, fast-diff off", "unit", "through rbd+nbd", "librbd", "rbd+nbd / librbd"],
        READS.map((w) => [
          w.label,
          w.unit,
          fmtSummary(summary(out.noFastDiff.nbd.map((r) => value(w, r[w.id])))),
          fmtSummary(summary(out.noFastDiff.rbd.map((r) => value(w, r[w.id])))),
          fmtSummary(
            pairedRatio(
              out.noFastDiff.nbd.map((r) => value(w, r[w.id])),
              out.noFastDiff.rbd.map((r) => value(w, r[w.id])),
            ),
            fmtRatio,
          ),
        ]),
      ),
      "",
      `Goals: at 16 in flight rbd+nbd / librbd ≥ 0.8×; at 1 in flight the p50 latency ratio ≤ 1.3×. The export's own CPU per request (qemu-storage-daemon, µs): ${THROUGHPUT.map((w) => `${w.id} ${cell("nbd", w, (x) => x.qsdUsPerOp)}`).join("; ")}.`,
      "",
      `Discard: a guest's TRIM of the first ${IMAGE / 2 / MiB} MiB of the filled image through the export (fio, NBD_CMD_TRIM in 4 MiB requests): \`rbd du\` ${fmt(out.discard.before / MiB)} → ${fmt(out.discard.after / MiB)} MiB, ${fmt(out.discard.returned * 100)}% of the discarded bytes returned (goal ≥ 95%).`,
      "",
      `Set-up and tear-down (${cycles} cycle(s) on one volume, ms): Datapath.attach + activate ${fmtSummary(summary(out.cyc.up))}; deactivate + detach ${fmtSummary(summary(out.cyc.down))}.`,
      "",
      "Commands:",
      "",
      ...Object.entries(commands).map(([k, c]) => `- ${k}: \`${c}\``),
    ].join("\n");
    const med = (side, w) => fmt(summary(series(side, w))?.median);
    return {
      markdown,
      headline: [
        ...WORKLOADS.map((w) => ({
          what: w.label,
          ours: `rbd+nbd ${med("nbd", w)} ${w.unit}`,
          theirs: `librbd ${med("rbd", w)} ${w.unit}`,
          ratio: ratio(w),
          of: "rbd+nbd / librbd",
        })),
        {
          what: "Datapath.attach + activate",
          ours: `${fmt(summary(out.cyc.up)?.median)} ms`,
          theirs: "goal 300 ms",
          ratio: summary(out.cyc.up.map((x) => x / 300)),
          of: "of the goal",
        },
        {
          what: `space returned after discarding ${IMAGE / 2 / MiB} MiB written`,
          ours: `${fmt(out.discard.returned * 100)}%`,
          theirs: "goal 95%",
          ratio: summary([out.discard.returned / 0.95]),
          of: "of the goal",
        },
      ],
      data: { cycles: out.cyc, ...out.sides, noFastDiff: out.noFastDiff, discard: out.discard, commands },
    };
  },
};
