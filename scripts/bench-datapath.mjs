// What the rbd+nbd datapath costs, against a real Ceph cluster:
//   1. Set-up and tear-down: Datapath.attach + Datapath.activate (which starts the volume's
//      qemu-storage-daemon) and Datapath.deactivate + Datapath.detach, each verb run as
//      xapi-storage-script runs it (`Datapath.<verb> --json`, params on stdin) and timed from spawn
//      to exit; a fresh cycle each time, on the same volume.
//   2. Throughput through the NBD export against `rbd bench` (librbd in-process) on the same image:
//      sequential 4 MiB writes and reads, 16 in flight (`qemu-img bench` on the export's
//      nbd+unix:// URI), and random 4 KiB writes and reads, 16 in flight (fio's nbd engine when
//      fio has one, else `qemu-img bench` with a large stride: QEMU 7.2's bench has no random
//      pattern, so 4 KiB requests step 4 MiB + 4 KiB through the image, wrapping around, which
//      touches a different object each time). `rbd bench` runs with --rbd-cache=false, as the
//      export's librbd does (the datapath opens the image with cache.direct=on, which QEMU turns
//      into rbd_cache=false), so both sides see the same librbd. The image is filled once
//      (untimed) so that reads hit data, not holes. Each run measures both sides back to back
//      (the export is deactivated while rbd bench runs: the two would trade the exclusive lock),
//      alternating which goes first; ratios are per run, then the median.
//
//   node scripts/bench-datapath.mjs [--quick] [--runs N] [--cycles N] [--rand-tool auto|fio|qemu-img]
//                                   [--json-out FILE]
//
// With CEPH_CONF set it uses that cluster (pool CEPH_POOL, default rbd; cephx id CEPH_CLIENT_ID,
// default admin) and destroys what it created at the end. Otherwise it starts a throwaway cluster
// with scripts/ceph-local.sh (40 GB OSD) and removes it at the end, also on failure or SIGINT.
// Needs `npm run build` first, qemu-img and qemu-storage-daemon; fio optional. Tables go to
// stdout, progress to stderr. Speed figures never make it fail; a failing verb or command does
// (exit 1). --quick: 1 run, a 512 MiB image, 256 MiB per sequential test: a smoke run.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");
const VOLUME_DIR = join(root, "plugins/volume/org.xen.xapi.storage.ceph-rbd");
const DATAPATH_DIR = join(root, "plugins/datapath/rbd+nbd");
const ADMIN = join(root, "plugins/bin/ceph-rbd-admin");
const CEPH_LOCAL = join(root, "scripts/ceph-local.sh");
const PROG = "bench-datapath";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

// ------------------------------------------------------------------------------------ options

const usage = (code = 2) => {
  process.stderr.write(
    [
      "usage: node scripts/bench-datapath.mjs [--quick] [--runs N] [--cycles N] [--rand-tool auto|fio|qemu-img] [--json-out FILE]",
      "  --quick          1 run, 512 MiB image, 256 MiB sequential, 2000 random requests (a smoke run)",
      "  --runs N         throughput runs (default 3; the median is reported, with min and max)",
      "  --cycles N       attach/activate/deactivate/detach cycles (default max(5, runs); --quick 2)",
      "  --rand-tool T    random 4 KiB I/O through NBD: fio (nbd engine), qemu-img (strided), auto (default: fio if it has nbd)",
      "  --json-out F     write every raw figure to F",
      "",
    ].join("\n"),
  );
  process.exit(code);
};
const opts = { quick: false, runs: undefined, cycles: undefined, randTool: "auto", jsonOut: undefined };
{
  const argv = process.argv.slice(2);
  const count = (v, name) => {
    if (!/^[1-9][0-9]*$/.test(v)) {
      process.stderr.write(`${PROG}: ${name} must be a positive integer, got '${v}'\n`);
      usage();
    }
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline;
    if (a.startsWith("--") && a.includes("=")) {
      inline = a.slice(a.indexOf("=") + 1);
      a = a.slice(0, a.indexOf("="));
    }
    const val = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) {
        process.stderr.write(`${PROG}: ${a} needs a value\n`);
        usage();
      }
      return v;
    };
    if (a === "--quick") opts.quick = true;
    else if (a === "--runs") opts.runs = count(val(), a);
    else if (a === "--cycles") opts.cycles = count(val(), a);
    else if (a === "--rand-tool") {
      opts.randTool = val();
      if (!["auto", "fio", "qemu-img"].includes(opts.randTool)) usage();
    } else if (a === "--json-out") opts.jsonOut = val();
    else if (a === "--help" || a === "-h") usage(0);
    else {
      process.stderr.write(`${PROG}: unknown argument ${argv[i]}\n`);
      usage();
    }
  }
}
const RUNS = opts.runs ?? (opts.quick ? 1 : 3);
const CYCLES = opts.cycles ?? (opts.quick ? 2 : Math.max(5, RUNS));
const IMAGE_BYTES = opts.quick ? 512 * MiB : 2 * GiB;
const SEQ_BYTES = opts.quick ? 256 * MiB : GiB;
const SEQ_SIZE = 4 * MiB;
const RAND_SIZE = 4 * KiB;
const RAND_OPS = opts.quick ? 2000 : 20000;
const DEPTH = 16;
// The qemu-img stand-in for random I/O: one object (4 MiB) and one block further each request.
const STRIDE = 4 * MiB + 4 * KiB;
const CMD_DEADLINE_MS = 20 * 60_000;

const log = (msg) => process.stderr.write(`${PROG}: ${msg}\n`);

// ------------------------------------------------------------------------------------ processes

const live = new Set();
let interrupted = false;
const scratch = mkdtempSync(join(tmpdir(), "bench-dp-"));
const RUN_DIR = join(scratch, "run");
const HOST_UUID = randomUUID();

// The environment of every child: the cluster's conf, this simulated host's identity and run
// directory, no GC worker, no syslog. In a throwaway cluster only CEPH_CONF is passed on: Ceph
// itself reads CEPH_KEYRING (and CEPH_ARGS) from the environment, and a stale one breaks things.
let baseEnv = { ...process.env };
const childEnv = (extra = {}) => ({
  ...baseEnv,
  ...(cluster.conf ? { CEPH_CONF: cluster.conf } : {}),
  CEPH_RBD_GC: "off",
  CEPH_RBD_LOG_SYSLOG: "off",
  CEPH_RBD_LOG_STDERR: "info",
  CEPH_RBD_RUN_DIR: RUN_DIR,
  CEPH_RBD_HOST_UUID: HOST_UUID,
  ...extra,
});

// Runs a program with an argument array (no shell); `ms` is the wall time from spawn to exit.
function run(cmd, args, { input, env, deadlineMs = CMD_DEADLINE_MS } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let t1;
    let child;
    try {
      child = spawn(cmd, args, { env: env ?? childEnv(), cwd: "/", stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    } catch (e) {
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
      return;
    }
    live.add(child);
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, deadlineMs);
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("exit", () => {
      t1 = process.hrtime.bigint();
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const ms = Number((t1 ?? process.hrtime.bigint()) - t0) / 1e6;
      const stderr = Buffer.concat(err).toString("utf8");
      resolve({ code, signal, ms, stdout: Buffer.concat(out).toString("utf8"), stderr: timedOut ? `${stderr}\n(killed after ${deadlineMs / 1000} s)` : stderr });
    });
    if (input !== undefined) {
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    }
  });
}

const tail = (s, n = 1500) => (s.trim().length > n ? `...${s.trim().slice(-n)}` : s.trim()) || "(empty)";

async function exec(path, params, label, { ignoreInterrupt = false } = {}) {
  if (interrupted && !ignoreInterrupt) throw new Error("interrupted");
  const r = await run(path, ["--json"], { input: JSON.stringify(params) });
  if (r.code !== 0) throw new Error(`${label} exited ${r.code ?? r.signal}: stdout ${tail(r.stdout, 1000)}; stderr ${tail(r.stderr)}`);
  try {
    return { ms: r.ms, json: JSON.parse(r.stdout) };
  } catch {
    throw new Error(`${label} printed no JSON: ${tail(r.stdout, 500)}`);
  }
}

const callVerb = (verb, params, o) => exec(join(VOLUME_DIR, verb), { dbg: `${PROG}-${verb}`, ...params }, verb, o);
const callDatapath = (verb, uri, domain, o) => exec(join(DATAPATH_DIR, `Datapath.${verb}`), { dbg: `${PROG}-${verb}`, uri, domain }, `Datapath.${verb}`, o);

async function tool(cmd, args, { ignoreInterrupt = false } = {}) {
  if (interrupted && !ignoreInterrupt) throw new Error("interrupted");
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code ?? r.signal}: ${tail(r.stderr || r.stdout, 800)}`);
  return r;
}
const cephArgs = () => ["--conf", cluster.conf, "--id", cluster.user];
const ceph = (cmd, args, o) => tool(cmd, [...cephArgs(), ...args], o);

// ------------------------------------------------------------------------------------ statistics

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (xs) => {
  const v = xs.filter(Number.isFinite);
  return v.length ? { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length } : undefined;
};
const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(Math.abs(x) >= 100 ? 0 : 1) : "-");
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : "-");
const fmtSummary = (s, f = fmt) => (s ? `${f(s.median)} (${f(s.min)}-${f(s.max)})` : "-");

function table(headers, rows, align) {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const cell = (v, c) => (align[c] === "r" ? String(v).padStart(widths[c]) : String(v).padEnd(widths[c]));
  const line = (r) => `| ${r.map(cell).join(" | ")} |`;
  return [line(headers), `|${widths.map((w, c) => (align[c] === "r" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`, ...rows.map(line)].join("\n");
}

// ------------------------------------------------------------------------------------ cluster

function listeningPorts() {
  const ports = new Set();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text;
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A") ports.add(parseInt(cols[1].split(":")[1], 16));
    }
  }
  return ports;
}

// A random multiple of 20 in 27000..27900 whose PORT..PORT+199 range looks unused.
function pickPort(avoid) {
  const busy = listeningPorts();
  const all = [];
  for (let p = 27000; p <= 27900; p += 20) if (!avoid.has(p)) all.push(p);
  const free = all.filter((p) => {
    for (let q = p; q < p + 200; q++) if (busy.has(q)) return false;
    return true;
  });
  const from = free.length > 0 ? free : all;
  return from[Math.floor(Math.random() * from.length)];
}

const cluster = { throwaway: false, dir: undefined, port: undefined, conf: undefined, pool: undefined, user: "admin" };

function clusterDown() {
  if (!cluster.throwaway || !cluster.dir) return;
  const dir = cluster.dir;
  cluster.dir = undefined;
  log(`removing the throwaway cluster in ${dir}`);
  const r = spawnSync("bash", [CEPH_LOCAL, "down", dir], { stdio: ["ignore", "ignore", "inherit"], env: { ...baseEnv, CEPH_LOCAL_PORT: String(cluster.port) } });
  if (r.status !== 0) log(`warning: ceph-local.sh down ${dir} exited ${r.status ?? r.signal}`);
}

async function clusterUp() {
  if (process.env.CEPH_CONF) {
    cluster.conf = process.env.CEPH_CONF;
    cluster.pool = process.env.CEPH_POOL || "rbd";
    cluster.user = process.env.CEPH_CLIENT_ID || "admin";
    log(`using the existing cluster of ${cluster.conf}, pool ${cluster.pool}`);
    return;
  }
  cluster.throwaway = true;
  delete baseEnv.CEPH_KEYRING;
  delete baseEnv.CEPH_ARGS;
  delete baseEnv.CEPH_CLIENT_ID;
  const tried = new Set();
  for (let attempt = 1; ; attempt++) {
    const port = pickPort(tried);
    tried.add(port);
    const dir = mkdtempSync(join(tmpdir(), "bench-dp-ceph-"));
    cluster.dir = dir;
    cluster.port = port;
    log(`starting a throwaway cluster in ${dir} (CEPH_LOCAL_PORT=${port})`);
    const child = spawn("bash", [CEPH_LOCAL, "up", dir], { env: { ...baseEnv, CEPH_LOCAL_PORT: String(port), CEPH_LOCAL_OSD_GB: "40" }, stdio: ["ignore", "pipe", "inherit"] });
    live.add(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.on("close", (c, s) => resolve(c ?? s)));
    live.delete(child);
    if (interrupted) throw new Error("interrupted");
    const conf = /^CEPH_CONF=(.*)$/m.exec(out)?.[1]?.replace(/^'(.*)'$/, "$1");
    if (code === 0 && conf) {
      cluster.conf = conf;
      cluster.pool = /^CEPH_POOL=(.*)$/m.exec(out)?.[1]?.replace(/^'(.*)'$/, "$1") || "rbd";
      return;
    }
    clusterDown();
    if (attempt >= 2) throw new Error(`scripts/ceph-local.sh up failed (exit ${code})`);
    log(`ceph-local.sh up failed (exit ${code}); retrying once on another port`);
  }
}

// ------------------------------------------------------------------------------------ results

const results = {
  started: new Date().toISOString(),
  mode: opts.quick ? "quick" : "full",
  runs: RUNS,
  cycles: CYCLES,
  machine: {},
  cluster: {},
  config: { imageBytes: IMAGE_BYTES, seqBytes: SEQ_BYTES, seqRequestBytes: SEQ_SIZE, randRequestBytes: RAND_SIZE, randOps: RAND_OPS, depth: DEPTH },
  cycleRuns: [],
  throughput: [],
  commands: {},
  notes: [],
  failures: [],
};

const fail = (what, e) => {
  const message = e instanceof Error ? e.message : String(e);
  results.failures.push({ what, error: message });
  log(`FAILED: ${what}: ${message}`);
};

// ------------------------------------------------------------------------------------ SR, volume

const created = { sr: undefined, config: undefined, key: undefined, uri: undefined, active: false, attached: false };

async function setUp() {
  const uuid = randomUUID();
  const config = (
    await callVerb("SR.create", {
      uuid,
      configuration: { pool: cluster.pool, conf: cluster.conf, ...(cluster.user !== "admin" ? { user: cluster.user } : {}), datapath: "rbd+nbd" },
      name: `${PROG} SR`,
      description: `created by scripts/${PROG}.mjs`,
    })
  ).json;
  created.config = config;
  created.sr = (await callVerb("SR.attach", { configuration: config })).json;
  const v = (await callVerb("Volume.create", { sr: created.sr, name: "bench", description: PROG, size: IMAGE_BYTES, sharable: false })).json;
  created.key = v.key;
  created.uri = v.uri.find((u) => u.startsWith("rbd+nbd://"));
  if (!created.uri) throw new Error(`Volume.create returned no rbd+nbd URI: ${JSON.stringify(v.uri)}`);
  const m = /^[a-z+]+:\/\/([^/]+)\/([^/]+)\/([^/?]+)\?/.exec(created.uri);
  created.spec = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}/${decodeURIComponent(m[3])}`;
  results.cluster.namespace = config.namespace;
  results.cluster.image = created.spec;
}

// Existing cluster only: the volume goes, the GC empties the trash, the SR goes.
async function tearDown() {
  if (!created.sr) return;
  try {
    if (created.key) await callVerb("Volume.destroy", { sr: created.sr, key: created.key }, { ignoreInterrupt: true });
    const r = await run(ADMIN, ["gc", "run", "--sr", created.sr, "--json"]);
    if (r.code !== 0) log(`warning: gc run before SR.destroy exited ${r.code ?? r.signal}: ${tail(r.stderr, 500)}`);
    await callVerb("SR.destroy", { sr: created.sr }, { ignoreInterrupt: true });
    log(`cleanup: SR ${created.config.sr_uuid} destroyed`);
  } catch (e) {
    fail(`cleanup of SR ${created.config?.sr_uuid} (namespace ${created.config?.namespace})`, e);
  }
}

// The export's NBD URI (nbd:unix:<socket>:exportname=<name>) as qemu-img and fio want it.
const qemuUri = (nbd) => {
  const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd);
  if (!m) throw new Error(`unexpected Nbd URI ${nbd}`);
  return `nbd+unix:///${m[2]}?socket=${m[1]}`;
};

// The VM start sequence's datapath half; returns the timings and the export's URI.
async function start(domain) {
  const a = await callDatapath("attach", created.uri, domain);
  created.attached = true;
  const nbd = (a.json.implementations.find(([k]) => k === "Nbd") ?? [])[1]?.uri;
  if (!nbd) throw new Error(`Datapath.attach returned no Nbd implementation: ${JSON.stringify(a.json)}`);
  const b = await callDatapath("activate", created.uri, domain);
  created.active = true;
  const socket = /^nbd:unix:(.+):exportname=/.exec(nbd)?.[1];
  if (!socket || !existsSync(socket)) throw new Error(`after Datapath.activate, no socket at ${socket}`);
  return { attachMs: a.ms, activateMs: b.ms, nbd };
}

async function stop(domain, o) {
  const c = await callDatapath("deactivate", created.uri, domain, o);
  created.active = false;
  const d = await callDatapath("detach", created.uri, domain, o);
  created.attached = false;
  return { deactivateMs: c.ms, detachMs: d.ms };
}

// Last resort after a failure: stop the export through the verbs, then any server they missed.
async function stopEverything() {
  if (created.uri && (created.active || created.attached)) {
    try {
      await stop("", { ignoreInterrupt: true });
    } catch (e) {
      fail("tear-down of the export", e);
    }
  }
  const dir = join(RUN_DIR, "nbd");
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".pid"))) {
    try {
      const pid = Number(readFileSync(join(dir, f), "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir)) {
        log(`warning: qemu-storage-daemon ${pid} still running after the verbs: SIGTERM`);
        results.notes.push(`qemu-storage-daemon ${pid} was still running after deactivate/detach`);
        process.kill(pid, "SIGTERM");
      }
    } catch {
      // gone already
    }
  }
}

// ------------------------------------------------------------------------------------ header

function header() {
  const v = spawnSync("ceph", ["--version"], { encoding: "utf8" });
  const q = spawnSync("qemu-img", ["--version"], { encoding: "utf8" });
  const nproc = spawnSync("nproc", [], { encoding: "utf8" });
  results.machine = {
    nproc: Number(nproc.stdout?.trim()) || cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    totalMemoryMiB: Math.round(totalmem() / MiB),
    node: process.version,
    loadavgAtStart: loadavg().map((x) => round(x, 2)),
  };
  results.cluster.cephVersion = v.status === 0 ? v.stdout.trim() : "unknown";
  results.machine.qemu = q.status === 0 ? q.stdout.split("\n")[0].trim() : "qemu-img missing";
  results.machine.fio = randTool === "fio" ? spawnSync("fio", ["--version"], { encoding: "utf8" }).stdout.trim() : undefined;
  const m = results.machine;
  console.log(`# bench-datapath (${results.mode}: ${CYCLES} attach cycles; ${RUNS} throughput run${RUNS === 1 ? "" : "s"}; image ${IMAGE_BYTES / MiB} MiB, ${SEQ_BYTES / MiB} MiB per sequential test, ${RAND_OPS} random requests)`);
  console.log(`date:     ${results.started}`);
  console.log(`ceph:     ${results.cluster.cephVersion}`);
  console.log(`tools:    ${m.qemu}; random 4 KiB I/O through NBD with ${randTool === "fio" ? `${m.fio} (nbd engine)` : "qemu-img bench (strided, not random)"}`);
  console.log(`machine:  nproc ${m.nproc} (${m.cpuModel}), ${(m.totalMemoryMiB / 1024).toFixed(1)} GiB RAM, node ${m.node}, load average at start ${m.loadavgAtStart.join(" ")}`);
}

// ------------------------------------------------------------------------------------ 1. cycles

async function cyclesPhase() {
  // One untimed cycle first: page cache for node, the bundle and qemu-storage-daemon.
  await start("1");
  await stop("1");
  for (let i = 0; i < CYCLES; i++) {
    const a = await start(String(i + 2));
    const b = await stop(String(i + 2));
    const c = { ...a, ...b };
    delete c.nbd;
    for (const k of Object.keys(c)) c[k] = round(c[k]);
    c.up = round(a.attachMs + a.activateMs);
    c.down = round(b.deactivateMs + b.detachMs);
    results.cycleRuns.push(c);
    log(`cycle ${i + 1}/${CYCLES}: attach+activate ${fmt(c.up)} ms, deactivate+detach ${fmt(c.down)} ms`);
  }
}

// ------------------------------------------------------------------------------------ 2. throughput

let randTool = "qemu-img";

const rbdBench = async (type, pattern, size, total) => {
  const args = ["bench", "--io-type", type, "--io-size", String(size), "--io-threads", String(DEPTH), "--io-total", String(total), "--io-pattern", pattern, "--rbd-cache=false", created.spec];
  results.commands[`rbd ${type} ${pattern}`] ??= `rbd ${args.join(" ")}`;
  const r = await ceph("rbd", args);
  const m = /ops:\s+(\d+)\s+ops\/sec:\s+([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`rbd bench printed no ops/sec: ${tail(r.stdout, 500)}`);
  const iops = Number(m[2]);
  return { iops: round(iops), mibPerS: round((iops * size) / MiB, 2), wallMs: round(r.ms), ops: Number(m[1]) };
};

async function qemuBench(uri, write, size, count, step) {
  const args = ["bench", "-f", "raw", "-t", "none", ...(write ? ["-w", `--flush-interval=${count}`] : []), "-s", String(size), "-c", String(count), "-d", String(DEPTH), ...(step ? ["-S", String(step)] : []), uri];
  results.commands[`qemu-img ${write ? "write" : "read"} ${step ? "strided" : "seq"}`] ??= `qemu-img ${args.join(" ")}`;
  const r = await tool("qemu-img", args);
  const m = /Run completed in ([\d.]+) seconds/.exec(r.stdout);
  if (!m) throw new Error(`qemu-img bench printed no completion time: ${tail(r.stdout, 500)}`);
  const s = Number(m[1]);
  return { iops: round(count / s), mibPerS: round((count * size) / MiB / s, 2), wallMs: round(r.ms), seconds: s };
}

async function fioRand(uri, write, count) {
  const args = [
    "--name=bench",
    "--ioengine=nbd",
    `--uri=${uri}`,
    `--rw=${write ? "randwrite" : "randread"}`,
    `--bs=${RAND_SIZE}`,
    `--iodepth=${DEPTH}`,
    `--size=${IMAGE_BYTES}`,
    `--io_size=${count * RAND_SIZE}`,
    ...(write ? ["--end_fsync=1"] : []),
    "--output-format=json",
  ];
  results.commands[`fio ${write ? "randwrite" : "randread"}`] ??= `fio ${args.join(" ")}`;
  const r = await tool("fio", args);
  // The nbd engine prints "fio: connected to NBD server" before the JSON.
  const j = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
  const job = j.jobs[0];
  if (job.error) throw new Error(`fio reported error ${job.error}`);
  const side = write ? job.write : job.read;
  return { iops: round(side.iops), mibPerS: round(side.bw_bytes / MiB, 2), wallMs: round(r.ms), ios: side.total_ios };
}

const TESTS = [
  { id: "seq-write", label: "sequential write, 4 MiB", unit: "MiB/s" },
  { id: "seq-read", label: "sequential read, 4 MiB", unit: "MiB/s" },
  { id: "rand-write", label: "random write, 4 KiB", unit: "IOPS" },
  { id: "rand-read", label: "random read, 4 KiB", unit: "IOPS" },
];
const figure = (t, r) => (t.unit === "IOPS" ? r.iops : r.mibPerS);

async function nbdSide(runIndex) {
  const domain = String(100 + runIndex);
  const { nbd } = await start(domain);
  const uri = qemuUri(nbd);
  const out = {};
  try {
    out["seq-write"] = await qemuBench(uri, true, SEQ_SIZE, SEQ_BYTES / SEQ_SIZE);
    out["seq-read"] = await qemuBench(uri, false, SEQ_SIZE, SEQ_BYTES / SEQ_SIZE);
    out["rand-write"] = randTool === "fio" ? await fioRand(uri, true, RAND_OPS) : await qemuBench(uri, true, RAND_SIZE, RAND_OPS, STRIDE);
    out["rand-read"] = randTool === "fio" ? await fioRand(uri, false, RAND_OPS) : await qemuBench(uri, false, RAND_SIZE, RAND_OPS, STRIDE);
  } finally {
    await stop(domain, { ignoreInterrupt: true });
  }
  return out;
}

async function rbdSide() {
  return {
    "seq-write": await rbdBench("write", "seq", SEQ_SIZE, SEQ_BYTES),
    "seq-read": await rbdBench("read", "seq", SEQ_SIZE, SEQ_BYTES),
    "rand-write": await rbdBench("write", "rand", RAND_SIZE, RAND_OPS * RAND_SIZE),
    "rand-read": await rbdBench("read", "rand", RAND_SIZE, RAND_OPS * RAND_SIZE),
  };
}

async function throughputPhase() {
  log(`filling the ${IMAGE_BYTES / MiB} MiB image (untimed), so that reads hit data`);
  await ceph("rbd", ["bench", "--io-type", "write", "--io-size", "4M", "--io-threads", String(DEPTH), "--io-total", String(IMAGE_BYTES), "--io-pattern", "seq", "--rbd-cache=false", created.spec]);
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? ["nbd", "rbd"] : ["rbd", "nbd"];
    const entry = { order };
    for (const side of order) {
      log(`run ${i + 1}/${RUNS}: ${side === "nbd" ? "through the NBD export" : "rbd bench"}`);
      entry[side] = side === "nbd" ? await nbdSide(i) : await rbdSide();
      log(`  ${TESTS.map((t) => `${t.id} ${fmt(figure(t, entry[side][t.id]))} ${t.unit}`).join(", ")}`);
    }
    entry.ratio = Object.fromEntries(TESTS.map((t) => [t.id, round(figure(t, entry.nbd[t.id]) / figure(t, entry.rbd[t.id]), 3)]));
    results.throughput.push(entry);
  }
}

// ------------------------------------------------------------------------------------ report

function report() {
  console.log("");
  console.log(`## 1. rbd+nbd set-up and tear-down (ms, wall time from spawn to exit of each verb; median (min-max) of ${results.cycleRuns.length} fresh cycle${results.cycleRuns.length === 1 ? "" : "s"} on one volume)`);
  if (results.cycleRuns.length === 0) console.log("(not measured)");
  else {
    const col = (k) => summary(results.cycleRuns.map((c) => c[k]));
    console.log(
      table(
        ["step", "median ms", "min", "max"],
        [
          ["Datapath.attach", "attachMs"],
          ["Datapath.activate (starts qemu-storage-daemon)", "activateMs"],
          ["attach + activate", "up"],
          ["Datapath.deactivate (stops it)", "deactivateMs"],
          ["Datapath.detach", "detachMs"],
          ["deactivate + detach", "down"],
        ].map(([label, k]) => {
          const s = col(k);
          return [label, fmt(s?.median), fmt(s?.min), fmt(s?.max)];
        }),
        ["l", "r", "r", "r"],
      ),
    );
  }

  console.log("");
  console.log(`## 2. Throughput: NBD export vs rbd bench on the same image (median (min-max) of ${results.throughput.length} run${results.throughput.length === 1 ? "" : "s"})`);
  console.log(`Image ${IMAGE_BYTES / MiB} MiB, filled first; sequential: ${SEQ_BYTES / MiB} MiB in 4 MiB requests from offset 0; random: ${RAND_OPS} requests of 4 KiB; ${DEPTH} in flight everywhere.`);
  if (results.throughput.length === 0) console.log("(not measured)");
  else {
    const rows = TESTS.map((t) => {
      const nbd = summary(results.throughput.map((e) => figure(t, e.nbd[t.id])));
      const rbd = summary(results.throughput.map((e) => figure(t, e.rbd[t.id])));
      const ratio = summary(results.throughput.map((e) => e.ratio[t.id]));
      return [t.label, t.unit, fmtSummary(nbd), fmtSummary(rbd), fmtSummary(ratio, fmtRatio)];
    });
    console.log(table(["test", "unit", "through NBD", "rbd bench", "NBD / rbd bench"], rows, ["l", "l", "r", "r", "r"]));
    console.log("Ratios are per run (both sides back to back, alternating which goes first), then the median.");
    if (randTool !== "fio") console.log(`Random through NBD is qemu-img bench with a ${STRIDE}-byte stride (${opts.randTool === "qemu-img" ? "--rand-tool qemu-img" : "no fio with an nbd engine"}): a different object each request, but not random offsets.`);
    console.log("Commands:");
    for (const [k, c] of Object.entries(results.commands)) console.log(`  ${k}: ${c}`);
  }
  if (results.notes.length) {
    console.log("");
    console.log("Notes:");
    for (const n of results.notes) console.log(`- ${n}`);
  }
  console.log("");
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")} (figures are noisy: shared ${results.machine.nproc}-CPU machine, the cluster, qemu-storage-daemon and the benchmark tools all run on it)`);
}

function reportFailures() {
  if (results.failures.length === 0 && !interrupted) return;
  console.log("");
  console.log(`## FAILURES (${results.failures.length})${interrupted ? " (interrupted)" : ""}`);
  for (const f of results.failures) console.log(`- ${f.what}: ${f.error}`);
}

function writeJson() {
  if (!opts.jsonOut) return;
  results.finished = new Date().toISOString();
  try {
    writeFileSync(opts.jsonOut, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${opts.jsonOut}`);
  } catch (e) {
    log(`cannot write ${opts.jsonOut}: ${e.message}`);
    process.exitCode = 1;
  }
}

// ------------------------------------------------------------------------------------ main

let signals = 0;
const onSignal = (sig) => {
  signals++;
  interrupted = true;
  if (signals > 1) {
    for (const c of live) c.kill("SIGKILL");
    clusterDown();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  }
  log(`${sig}: stopping (send it again to quit at once)`);
  for (const c of live) c.kill("SIGTERM");
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));
process.on("exit", () => clusterDown());

function pickRandTool() {
  const fio = spawnSync("fio", ["--enghelp=nbd"], { encoding: "utf8" });
  const hasFioNbd = !fio.error && fio.status === 0 && /uri/.test(fio.stdout);
  if (opts.randTool === "fio" && !hasFioNbd) {
    process.stderr.write(`${PROG}: --rand-tool fio: fio with an nbd engine is not installed (apt-get install fio)\n`);
    process.exit(2);
  }
  randTool = opts.randTool === "auto" ? (hasFioNbd ? "fio" : "qemu-img") : opts.randTool;
}

async function main() {
  const t0 = Date.now();
  for (const f of [join(VOLUME_DIR, "SR.create"), join(DATAPATH_DIR, "Datapath.activate"), ADMIN]) {
    if (!existsSync(f)) {
      process.stderr.write(`${PROG}: ${f} is missing: run \`npm run build\` first\n`);
      process.exit(2);
    }
  }
  for (const t of ["qemu-img", "qemu-storage-daemon"]) {
    const r = spawnSync(t, ["--version"], { stdio: "ignore" });
    if (r.error || r.status !== 0) {
      process.stderr.write(`${PROG}: ${t} is missing (apt-get install qemu-utils qemu-block-extra qemu-system-common)\n`);
      process.exit(2);
    }
  }
  pickRandTool();
  mkdirSync(RUN_DIR, { recursive: true });
  header();
  try {
    await clusterUp();
    results.cluster.throwaway = cluster.throwaway;
    results.cluster.pool = cluster.pool;
    console.log(`cluster:  ${cluster.throwaway ? `throwaway (scripts/ceph-local.sh, port ${cluster.port}, ${baseEnv.CEPH_LOCAL_OSDS || 1} ${baseEnv.CEPH_LOCAL_STORE || "bluestore"} OSD(s))` : `existing (${cluster.conf})`}, pool ${cluster.pool}`);
    await setUp();
    try {
      await cyclesPhase();
    } catch (e) {
      fail("attach/activate cycles", e);
      await stopEverything();
    }
    if (!interrupted) {
      try {
        await throughputPhase();
      } catch (e) {
        fail("throughput phase", e);
      }
    }
  } catch (e) {
    fail("set-up", e);
  } finally {
    await stopEverything();
    report();
    if (!cluster.throwaway && cluster.conf) await tearDown();
    clusterDown();
    rmSync(scratch, { recursive: true, force: true });
    reportFailures();
  }
  results.seconds = Math.round((Date.now() - t0) / 1000);
  console.log(`wall time: ${results.seconds} s`);
  writeJson();
  log(`done in ${results.seconds} s`);
  if (results.failures.length > 0 || interrupted) process.exitCode = interrupted ? 130 : 1;
}

await main();
