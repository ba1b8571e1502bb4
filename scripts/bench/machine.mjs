// The machine the figures come from: its hardware and software, other Ceph daemons, the load.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { GiB, ROOT } from "./base.mjs";
import { round, summary } from "./stats.mjs";

const firstLine = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split("\n")[0] : undefined;
};

// Other Ceph daemons on this machine (other test clusters): noise for the figures.
export function cephDaemons() {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^[0-9]+$/.test(p))) {
    try {
      if (/^ceph-(osd|mon|mgr)$/.test(readFileSync(`/proc/${pid}/comm`, "utf8").trim())) n++;
    } catch {
      // gone
    }
  }
  return n;
}

export function machineInfo() {
  const os = /^PRETTY_NAME="?(.*?)"?$/m.exec(existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "")?.[1];
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    nproc: Number(firstLine("nproc", [])) || cpus().length,
    memoryGiB: round(totalmem() / GiB, 1),
    os: os ?? "unknown",
    kernel: release(),
    node: process.version,
    ceph: firstLine("ceph", ["--version"]) ?? "ceph CLI missing",
    qemu: firstLine("qemu-img", ["--version"]) ?? "qemu-img missing",
    fio: firstLine("fio", ["--version"]) ?? "fio missing",
    git: firstLine("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]) ?? "unknown",
    gitDirty: (spawnSync("git", ["-C", ROOT, "status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).stdout ?? "").trim() !== "",
  };
}

// The 1-minute load average, sampled every 5 s while the benchmarks run; `summary(since)` of
// the samples taken since that time (ms since the epoch), or of all.
export function loadSampler() {
  const samples = [{ t: Date.now(), v: loadavg()[0] }];
  const timer = setInterval(() => samples.push({ t: Date.now(), v: loadavg()[0] }), 5000);
  timer.unref();
  return { summary: (since = 0) => summary(samples.filter((s) => s.t >= since).map((s) => s.v)) };
}
