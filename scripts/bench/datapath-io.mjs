// The two clients of the datapath benchmark, each on the same image at the same request size and
// queue depth, one connection each: fio's nbd engine (libnbd) through the export, and librbd in
// process. fio's rbd engine (fio 3.33) has no option for a RADOS namespace, and an SR's images
// live in one, so librbd's side is `rbd bench`, which reaches them; it prints no latency
// percentiles, so the 1-in-flight latency row reads through librbd from Python's bindings
// (rbd-latency.py, each read timed alone), and `rbd bench` at depth 1 checks its mean. Both sides
// count the CPU the whole machine spent per request (client, export and OSD share two cores here).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KiB, MiB, ROOT } from "./base.mjs";
import { ceph, cephArgs, tool } from "./commands.mjs";

// Busy CPU time of the whole machine so far (all CPUs, ms), from /proc/stat (USER_HZ 100).
function busyMs() {
  const cols = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (cols[3] ?? 0) + (cols[4] ?? 0);
  return (cols.reduce((a, b) => a + b, 0) - idle) * 10;
}
// CPU time of one process so far (ms), or NaN when it is gone.
function procMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}
// Runs `work`, which returns {ops, ...}; adds the machine's CPU µs per request, and the export's.
async function withCpu(work, qsdPid) {
  const [m0, q0] = [busyMs(), qsdPid ? procMs(qsdPid) : NaN];
  const r = await work();
  return { ...r, cpuUsPerOp: ((busyMs() - m0) * 1000) / r.ops, qsdUsPerOp: ((procMs(qsdPid) - q0) * 1000) / r.ops };
}

export const WORKLOADS = [
  { id: "seq-write", label: "sequential write, 4 MiB", fio: "write", rbd: ["write", "seq"], size: 4 * MiB, depth: 16, unit: "MiB/s" },
  { id: "seq-read", label: "sequential read, 4 MiB", fio: "read", rbd: ["read", "seq"], size: 4 * MiB, depth: 16, unit: "MiB/s" },
  { id: "rand-write", label: "random write, 4 KiB", fio: "randwrite", rbd: ["write", "rand"], size: 4 * KiB, depth: 16, unit: "IOPS" },
  { id: "rand-read", label: "random read, 4 KiB", fio: "randread", rbd: ["read", "rand"], size: 4 * KiB, depth: 16, unit: "IOPS" },
  { id: "qd1-read", label: "random read, 4 KiB, 1 in flight", fio: "randread", rbd: ["read", "rand"], size: 4 * KiB, depth: 1, unit: "µs p50" },
];

// fio's nbd engine on `nbd` (an nbd+unix:// URI): `bytes` in requests of w.size, w.depth in flight.
export async function fioNbd(w, nbd, image, bytes, qsdPid, commands) {
  const a = [
    "--name=bench",
    "--ioengine=nbd",
    `--uri=${nbd}`,
    `--rw=${w.fio}`,
    `--bs=${w.size}`,
    `--iodepth=${w.depth}`,
    `--size=${image}`,
    `--io_size=${bytes}`,
    "--lat_percentiles=1",
    ...(w.fio.includes("write") ? ["--end_fsync=1"] : []),
    "--output-format=json",
  ];
  commands[`fio ${w.id}`] ??= `fio ${a.join(" ")}`;
  return withCpu(async () => {
    const so = (await tool("fio", a)).stdout;
    const job = JSON.parse(so.slice(so.indexOf("{"))).jobs[0];
    const side = w.fio.includes("write") ? job.write : job.read;
    const pct = side.lat_ns.percentile ?? {};
    return {
      ops: side.total_ios,
      iops: side.iops,
      mibPerS: side.bw_bytes / MiB,
      p50us: pct["50.000000"] / 1000,
      p99us: pct["99.000000"] / 1000,
      meanUs: side.lat_ns.mean / 1000,
    };
  }, qsdPid);
}

// `rbd bench` on `spec`: the same requests in process; the mean latency follows from the depth.
export async function rbdBench(w, spec, bytes, commands) {
  const a = ["bench", "--io-type", w.rbd[0], "--io-pattern", w.rbd[1], "--io-size", String(w.size), "--io-threads", String(w.depth)];
  const b = [...a, "--io-total", String(bytes), "--rbd-cache=false", spec];
  commands[`rbd bench ${w.id}`] ??= `rbd ${b.join(" ")}`;
  return withCpu(async () => {
    const m = /ops:\s+(\d+)\s+ops\/sec:\s+([\d.]+)/.exec((await ceph("rbd", b)).stdout);
    if (!m) throw new Error("rbd bench printed no ops/sec");
    const iops = Number(m[2]);
    return { ops: Number(m[1]), iops, mibPerS: (iops * w.size) / MiB, meanUs: (w.depth / iops) * 1e6 };
  });
}

// Random 4 KiB reads one at a time through librbd (Python's bindings), each timed.
export async function rbdLatency(pool, namespace, image, size, ops, commands) {
  const a = [join(ROOT, "scripts/bench/rbd-latency.py"), ...cephArgs(), pool, namespace, image, String(size), String(ops)];
  commands["librbd qd1-read"] ??= `python3 ${a.join(" ")}`;
  return withCpu(async () => {
    const r = JSON.parse((await tool("/usr/bin/python3", a)).stdout);
    return { ops: r.ops, iops: 1e6 / r.mean_us, mibPerS: ((1e6 / r.mean_us) * 4 * KiB) / MiB, p50us: r.p50_us, p99us: r.p99_us, meanUs: r.mean_us };
  });
}

// The image's space in use by RBD's own count (`rbd du`), bytes.
export async function rbdUsed(spec) {
  const images = JSON.parse((await ceph("rbd", ["du", "--format", "json", spec])).stdout).images ?? [];
  return images.find((i) => !i.snapshot)?.used_size ?? 0;
}

// A guest's TRIM of the first `bytes` of the image through the export: fio's nbd engine sends
// NBD_CMD_TRIM in 4 MiB requests; returns the share of those bytes RBD counts free afterwards.
export async function discardReturned(nbd, spec, bytes, commands) {
  const a = ["--name=discard", "--ioengine=nbd", `--uri=${nbd}`, "--rw=trim", "--bs=4M", "--iodepth=16", `--size=${bytes}`, "--output-format=json"];
  commands["fio discard"] ??= `fio ${a.join(" ")}`;
  const before = await rbdUsed(spec);
  await tool("fio", a);
  const after = await rbdUsed(spec);
  return { before, after, returned: (before - after) / bytes };
}
