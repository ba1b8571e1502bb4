// The rbd+nbd datapath: set-up and tear-down times (Datapath.attach + activate, which starts the
// volume's qemu-storage-daemon; deactivate + detach), and throughput through the NBD export
// against `rbd bench` (librbd in-process) on the same image, 16 requests in flight everywhere:
// sequential 4 MiB writes and reads (`qemu-img bench` on the export), random 4 KiB writes and
// reads (fio's nbd engine; without it `qemu-img bench` striding 4 MiB + 4 KiB, a different object
// each request). `rbd bench` runs with --rbd-cache=false, as the export's librbd does (the
// datapath opens the image with cache.direct=on). The image is filled first, so that reads hit
// data. Each run measures both sides back to back, alternating which goes first (the export is
// down while rbd bench runs: the two would trade the exclusive lock).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { barChart } from "./svg.mjs";
import { KiB, log, MiB } from "./base.mjs";
import { callDatapath, callVerb, ceph, rbdFill, tool } from "./commands.mjs";
import { withSr } from "./sr.mjs";
import { fmt, fmtRatio, fmtSummary, pairedRatio, summary, table } from "./stats.mjs";

const DEPTH = 16;
const TESTS = [
  { id: "seq-write", label: "sequential write, 4 MiB", unit: "MiB/s" },
  { id: "seq-read", label: "sequential read, 4 MiB", unit: "MiB/s" },
  { id: "rand-write", label: "random write, 4 KiB", unit: "IOPS" },
  { id: "rand-read", label: "random read, 4 KiB", unit: "IOPS" },
];
const value = (t, r) => (t.unit === "IOPS" ? r.iops : r.mibPerS);

export default {
  id: "datapath",
  title: "Datapath throughput through rbd+nbd against rbd bench",
  async run({ quick, runs, figure }) {
    const IMAGE = quick ? 64 * MiB : 2048 * MiB;
    const SEQ = quick ? 64 * MiB : 1024 * MiB; // at least 16 requests (qemu-img bench: flush interval >= depth)
    const RAND_OPS = quick ? 500 : 20000;
    const n = runs(3, 1);
    const cycles = quick ? 1 : Math.max(5, n);
    const fio = spawnSync("fio", ["--enghelp=nbd"], { encoding: "utf8" });
    const useFio = fio.status === 0 && /uri/.test(fio.stdout);
    const commands = {};
    const out = await withSr(
      "bench datapath SR",
      async (s) => {
        const vol = (await callVerb("Volume.create", { sr: s.sr, name: "bench", description: "bench", size: IMAGE, sharable: false })).json;
        const uri = vol.uri.find((u) => u.startsWith("rbd+nbd://"));
        if (!uri) throw new Error(`Volume.create returned no rbd+nbd URI: ${JSON.stringify(vol.uri)}`);
        const spec = uri
          .replace(/^rbd\+nbd:\/\/([^?]+)\?.*$/, "$1")
          .split("/")
          .map(decodeURIComponent)
          .join("/");
        let up = false;
        const start = async (domain) => {
          const a = await callDatapath("attach", { uri, domain });
          up = true;
          const nbd = a.json.implementations.find(([k]) => k === "Nbd")?.[1]?.uri;
          const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd ?? "");
          if (!m) throw new Error(`Datapath.attach returned no Nbd URI: ${JSON.stringify(a.json)}`);
          const b = await callDatapath("activate", { uri, domain });
          if (!existsSync(m[1])) throw new Error(`after Datapath.activate, no socket at ${m[1]}`);
          return { up: a.ms + b.ms, nbd: `nbd+unix:///${m[2]}?socket=${m[1]}` };
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
          const rbdBench = async (type, pattern, size, total) => {
            const a = [
              "bench",
              "--io-type",
              type,
              "--io-size",
              String(size),
              "--io-threads",
              String(DEPTH),
              "--io-total",
              String(total),
              "--io-pattern",
              pattern,
              "--rbd-cache=false",
              spec,
            ];
            commands[`rbd bench ${type} ${pattern}`] ??= `rbd ${a.join(" ")}`;
            const m = /ops:\s+(\d+)\s+ops\/sec:\s+([\d.]+)/.exec((await ceph("rbd", a)).stdout);
            if (!m) throw new Error("rbd bench printed no ops/sec");
            return { iops: Number(m[2]), mibPerS: (Number(m[2]) * size) / MiB };
          };
          const qemuBench = async (nbd, write, size, count, step) => {
            const a = [
              "bench",
              "-f",
              "raw",
              "-t",
              "none",
              ...(write ? ["-w", `--flush-interval=${count}`] : []),
              "-s",
              String(size),
              "-c",
              String(count),
              "-d",
              String(DEPTH),
              ...(step ? ["-S", String(step)] : []),
              nbd,
            ];
            commands[`qemu-img ${write ? "write" : "read"} ${step ? "strided" : "seq"}`] ??= `qemu-img ${a.join(" ")}`;
            const m = /Run completed in ([\d.]+) seconds/.exec((await tool("qemu-img", a)).stdout);
            if (!m) throw new Error("qemu-img bench printed no completion time");
            return { iops: count / Number(m[1]), mibPerS: (count * size) / MiB / Number(m[1]) };
          };
          const fioRand = async (nbd, write) => {
            const a = [
              "--name=bench",
              "--ioengine=nbd",
              `--uri=${nbd}`,
              `--rw=${write ? "randwrite" : "randread"}`,
              `--bs=${4 * KiB}`,
              `--iodepth=${DEPTH}`,
              `--size=${IMAGE}`,
              `--io_size=${RAND_OPS * 4 * KiB}`,
              ...(write ? ["--end_fsync=1"] : []),
              "--output-format=json",
            ];
            commands[`fio ${write ? "randwrite" : "randread"}`] ??= `fio ${a.join(" ")}`;
            const so = (await tool("fio", a)).stdout;
            const job = JSON.parse(so.slice(so.indexOf("{"))).jobs[0];
            const side = write ? job.write : job.read;
            return { iops: side.iops, mibPerS: side.bw_bytes / MiB };
          };
          const rand = (nbd, write) => (useFio ? fioRand(nbd, write) : qemuBench(nbd, write, 4 * KiB, RAND_OPS, 4 * MiB + 4 * KiB));
          log(`datapath: filling the ${IMAGE / MiB} MiB image (untimed)`);
          await rbdFill(spec, IMAGE, DEPTH);
          const sides = { nbd: [], rbd: [] };
          for (let r = 0; r < n; r++) {
            for (const side of r % 2 ? ["rbd", "nbd"] : ["nbd", "rbd"]) {
              if (side === "rbd") {
                sides.rbd[r] = {
                  "seq-write": await rbdBench("write", "seq", 4 * MiB, SEQ),
                  "seq-read": await rbdBench("read", "seq", 4 * MiB, SEQ),
                  "rand-write": await rbdBench("write", "rand", 4 * KiB, RAND_OPS * 4 * KiB),
                  "rand-read": await rbdBench("read", "rand", 4 * KiB, RAND_OPS * 4 * KiB),
                };
              } else {
                const domain = String(100 + r);
                const { nbd } = await start(domain);
                try {
                  sides.nbd[r] = {
                    "seq-write": await qemuBench(nbd, true, 4 * MiB, SEQ / (4 * MiB)),
                    "seq-read": await qemuBench(nbd, false, 4 * MiB, SEQ / (4 * MiB)),
                    "rand-write": await rand(nbd, true),
                    "rand-read": await rand(nbd, false),
                  };
                } finally {
                  await stop(domain);
                }
              }
              log(`datapath: run ${r + 1} ${side}: ${TESTS.map((t) => `${t.id} ${fmt(value(t, sides[side][r][t.id]))} ${t.unit}`).join(", ")}`);
            }
          }
          return { cyc, sides };
        } finally {
          if (up) await stop("0").catch(() => undefined);
        }
      },
      { extra: { datapath: "rbd+nbd" } },
    );
    const series = (side, t) => out.sides[side].map((r) => value(t, r[t.id]));
    const chart = (unit, title) =>
      barChart({
        title,
        unit,
        series: ["through rbd+nbd (NBD export)", "rbd bench (librbd)"],
        groups: TESTS.filter((t) => t.unit === unit).map((t) => ({ label: t.label, bars: [summary(series("nbd", t)), summary(series("rbd", t))] })),
      });
    const ratios = Object.fromEntries(TESTS.map((t) => [t.id, pairedRatio(series("nbd", t), series("rbd", t))]));
    const markdown = [
      `A ${IMAGE / MiB} MiB image, filled first; sequential: ${SEQ / MiB} MiB in 4 MiB requests; random: ${RAND_OPS} requests of 4 KiB (${useFio ? "fio's nbd engine" : "qemu-img bench striding 4 MiB + 4 KiB: no fio with an nbd engine"}); ${DEPTH} in flight. ${n} run(s), ratios per run.`,
      "",
      figure("datapath-seq", "Sequential throughput through rbd+nbd against rbd bench", chart("MiB/s", "Sequential 4 MiB I/O: rbd+nbd against rbd bench")),
      "",
      figure("datapath-rand", "Random 4 KiB I/O through rbd+nbd against rbd bench", chart("IOPS", "Random 4 KiB I/O: rbd+nbd against rbd bench")),
      "",
      table(
        ["test", "unit", "through rbd+nbd", "rbd bench", "rbd+nbd / rbd bench"],
        TESTS.map((t) => [t.label, t.unit, fmtSummary(summary(series("nbd", t))), fmtSummary(summary(series("rbd", t))), fmtSummary(ratios[t.id], fmtRatio)]),
      ),
      "",
      `Set-up and tear-down (${cycles} cycle(s) on one volume, ms): Datapath.attach + activate ${fmtSummary(summary(out.cyc.up))}; deactivate + detach ${fmtSummary(summary(out.cyc.down))}.`,
      "",
      "Commands:",
      "",
      ...Object.entries(commands).map(([k, c]) => `- ${k}: \`${c}\``),
    ].join("\n");
    const med = (side, id) =>
      fmt(
        summary(
          series(
            side,
            TESTS.find((t) => t.id === id),
          ),
        )?.median,
      );
    return {
      markdown,
      headline: [
        {
          what: "sequential write, 4 MiB",
          ours: `rbd+nbd ${med("nbd", "seq-write")} MiB/s`,
          theirs: `rbd bench ${med("rbd", "seq-write")} MiB/s`,
          ratio: ratios["seq-write"],
          of: "rbd+nbd / rbd bench",
        },
        {
          what: "sequential read, 4 MiB",
          ours: `rbd+nbd ${med("nbd", "seq-read")} MiB/s`,
          theirs: `rbd bench ${med("rbd", "seq-read")} MiB/s`,
          ratio: ratios["seq-read"],
          of: "rbd+nbd / rbd bench",
        },
        {
          what: "random write, 4 KiB",
          ours: `rbd+nbd ${med("nbd", "rand-write")} IOPS`,
          theirs: `rbd bench ${med("rbd", "rand-write")} IOPS`,
          ratio: ratios["rand-write"],
          of: "rbd+nbd / rbd bench",
        },
        {
          what: "random read, 4 KiB",
          ours: `rbd+nbd ${med("nbd", "rand-read")} IOPS`,
          theirs: `rbd bench ${med("rbd", "rand-read")} IOPS`,
          ratio: ratios["rand-read"],
          of: "rbd+nbd / rbd bench",
        },
      ],
      data: { cycles: out.cyc, ...out.sides, commands },
    };
  },
};
