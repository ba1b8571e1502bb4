// What every benchmark topic shares: running processes (timed from spawn to exit), the cluster
// (a throwaway one from scripts/ceph-local.sh, or the one CEPH_CONF names), a private build of
// the plugins, the verbs, the Ceph CLIs and the admin command, SRs, statistics and the machine.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(fileURLToPath(import.meta.url), "../../..");
const CEPH_LOCAL = join(ROOT, "scripts/ceph-local.sh");

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const tail = (s, n = 1500) => (s.trim().length > n ? `...${s.trim().slice(-n)}` : s.trim()) || "(empty)";

// ------------------------------------------------------------------------------------ processes

// Children still running, so that an interruption can stop them.
const live = new Set();
export const state = { interrupted: false };
const checkInterrupt = (ignore) => {
  if (state.interrupted && !ignore) throw new Error("interrupted");
};

// Runs a program with an argument array (no shell); `ms` is the wall time from spawn to exit.
// `onStdout`, if given, receives stdout instead of it being collected.
export function run(cmd, args, { input, env, onStdout, deadlineMs = 30 * 60_000 } = {}) {
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
    const timer = setTimeout(() => child.kill("SIGKILL"), deadlineMs);
    if (onStdout) onStdout(child.stdout, child);
    else child.stdout.on("data", (d) => out.push(d));
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
      resolve({ code, signal, ms, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    if (input !== undefined) {
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    }
  });
}

// Runs `work(i)` for i in [0, n) with at most `limit` at a time; progress every `every` done.
export async function pool(n, limit, work, { every, label } = {}) {
  let next = 0;
  let done = 0;
  let failed = false;
  const results = new Array(n);
  const worker = async () => {
    while (next < n && !failed) {
      const i = next++;
      try {
        results[i] = await work(i);
      } catch (e) {
        failed = true;
        throw e;
      }
      done++;
      if (every && done % every === 0) log(`${label}: ${done}/${n}`);
    }
  };
  // Every worker stops before the first error is passed on: nothing keeps running behind it.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, n) }, worker));
  const rejected = settled.find((x) => x.status === "rejected");
  if (rejected) throw rejected.reason;
  return results;
}

// ------------------------------------------------------------------------------------ statistics

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

// ------------------------------------------------------------------------------------ build

// The plugins built from the working tree into a private directory (scripts/build.mjs --out), so
// that neither a rebuild by someone else during the run nor this build disturbs anything.
export const tree = { dir: undefined, volume: undefined, datapath: undefined, admin: undefined };
export function buildTree() {
  const dir = mkdtempSync(join(tmpdir(), "bench-build-"));
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/build.mjs"), `--out=${dir}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`scripts/build.mjs failed: ${r.stderr}`);
  Object.assign(tree, {
    dir,
    volume: join(dir, "volume/org.xen.xapi.storage.ceph-rbd"),
    datapath: join(dir, "datapath/rbd+nbd"),
    admin: join(dir, "bin/ceph-rbd-admin"),
    runDir: join(dir, "run"),
  });
  mkdirSync(tree.runDir, { mode: 0o700 });
}

// ------------------------------------------------------------------------------------ cluster

export const cluster = { throwaway: false, dir: undefined, port: undefined, conf: undefined, pool: undefined, user: "admin" };
const HOST_UUID = randomUUID();

// The environment every child starts from: the one xapi-storage-script gives its plugins (spec
// section 3: its systemd unit's, i.e. systemd's PATH and OCAMLRUNPARAM=b), not the shell's that
// started the bench. A shell's variables can change what is measured: this build machine's
// NODE_EXTRA_CA_CERTS makes every Node start parse a certificate bundle (measured: `node -e 0`
// 57 ms with it, 24 ms without). The Node running the bench stays the one on PATH.
const SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const nodeDir = dirname(process.execPath);
const XSS_ENV = {
  PATH: SYSTEMD_PATH.split(":").includes(nodeDir) ? SYSTEMD_PATH : `${nodeDir}:${SYSTEMD_PATH}`,
  OCAMLRUNPARAM: "b",
  ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
};

// The environment of every child: xapi-storage-script's, the cluster's conf, a private run
// directory and host identity, no GC worker started behind our back (SR.attach starts none with
// CEPH_RBD_GC=off), no syslog. With a cluster of the caller's, its Ceph variables are passed on
// (CEPH_KEYRING, CEPH_ARGS, CEPH_CLIENT_ID); with a throwaway cluster they are not: Ceph reads
// them from the environment, and a caller's would beat the conf's keyring.
const CALLER_CEPH = ["CEPH_KEYRING", "CEPH_ARGS", "CEPH_CLIENT_ID"];
export function childEnv(extra = {}) {
  const caller = cluster.throwaway ? {} : Object.fromEntries(CALLER_CEPH.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  return {
    ...XSS_ENV,
    ...caller,
    ...(cluster.conf ? { CEPH_CONF: cluster.conf } : {}),
    CEPH_RBD_GC: "off",
    CEPH_RBD_LOG_SYSLOG: "off",
    CEPH_RBD_LOG_STDERR: "info",
    ...(tree.runDir ? { CEPH_RBD_RUN_DIR: tree.runDir } : {}),
    CEPH_RBD_TEST_MODE: "1",
    CEPH_RBD_HOST_UUID: HOST_UUID,
    ...extra,
  };
}

// ceph-local.sh (set-up, not measured) gets the caller's environment, for its CEPH_LOCAL_*
// settings, less the caller's Ceph variables.
const setupEnv = (extra) => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !CALLER_CEPH.includes(k))), ...extra });

// Ports with a listening TCP socket, from /proc.
function listeningPorts() {
  const ports = new Set();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A") ports.add(parseInt(cols[1].split(":")[1], 16));
    }
  }
  return ports;
}

// A multiple of 20 in 23000..23980 whose PORT..PORT+199 range (mon, mgr, OSDs) looks unused.
function pickPort(avoid) {
  const busy = listeningPorts();
  const all = Array.from({ length: 50 }, (_, i) => 23000 + i * 20).filter((p) => !avoid.has(p));
  const free = all.filter((p) => ![...Array(200).keys()].some((q) => busy.has(p + q)));
  const from = free.length ? free : all;
  return from[Math.floor(Math.random() * from.length)];
}

function clusterDown() {
  if (!cluster.throwaway || !cluster.dir) return;
  const dir = cluster.dir;
  cluster.dir = undefined;
  log(`removing the throwaway cluster in ${dir}`);
  const r = spawnSync("bash", [CEPH_LOCAL, "down", dir], { stdio: ["ignore", "ignore", "inherit"], env: setupEnv({ CEPH_LOCAL_PORT: String(cluster.port) }) });
  if (r.status !== 0) log(`warning: ceph-local.sh down ${dir} exited ${r.status ?? r.signal}`);
}

// CEPH_CONF set: that cluster (pool CEPH_POOL, default rbd; cephx id CEPH_CLIENT_ID, default
// admin). Otherwise a throwaway cluster with one bluestore OSD of `osdGb` (a sparse file).
export async function clusterUp({ osdGb }) {
  if (process.env.CEPH_CONF) {
    cluster.conf = process.env.CEPH_CONF;
    cluster.pool = process.env.CEPH_POOL || "rbd";
    cluster.user = process.env.CEPH_CLIENT_ID || "admin";
    log(`using the existing cluster of ${cluster.conf}, pool ${cluster.pool}`);
    return;
  }
  cluster.throwaway = true;
  const tried = new Set();
  for (let attempt = 1; ; attempt++) {
    const port = pickPort(tried);
    tried.add(port);
    const dir = mkdtempSync(join(tmpdir(), "bench-ceph-"));
    Object.assign(cluster, { dir, port });
    log(`starting a throwaway cluster in ${dir} (CEPH_LOCAL_PORT=${port}, ${osdGb} GB OSD)`);
    const env = setupEnv({ CEPH_LOCAL_PORT: String(port), CEPH_LOCAL_OSD_GB: String(osdGb) });
    const r = await run("bash", [CEPH_LOCAL, "up", dir], { env, deadlineMs: 10 * 60_000 });
    checkInterrupt();
    const conf = /^CEPH_CONF=(.*)$/m.exec(r.stdout)?.[1]?.replace(/^'(.*)'$/, "$1");
    if (r.code === 0 && conf) {
      cluster.conf = conf;
      cluster.pool = /^CEPH_POOL=(.*)$/m.exec(r.stdout)?.[1]?.replace(/^'(.*)'$/, "$1") || "rbd";
      return;
    }
    clusterDown();
    if (attempt >= 2) throw new Error(`scripts/ceph-local.sh up failed (exit ${r.code ?? r.signal}): ${tail(r.stderr)}`);
    log(`ceph-local.sh up failed (exit ${r.code ?? r.signal}); retrying once on another port`);
  }
}

// ------------------------------------------------------------------------------------ commands

export const cephArgs = () => ["--conf", cluster.conf, "--id", cluster.user];

// A Ceph CLI (rbd, rados, ceph) with the conf and cephx id the SRs use; throws on failure.
export async function ceph(tool, args, { ignoreInterrupt = false, ...o } = {}) {
  checkInterrupt(ignoreInterrupt);
  const r = await run(tool, [...cephArgs(), ...args], o);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(" ")} exited ${r.code ?? r.signal}: ${tail(r.stderr, 800)}`);
  return r;
}

// Any other tool (qemu-img, fio); throws on failure.
export async function tool(cmd, args, { ignoreInterrupt = false } = {}) {
  checkInterrupt(ignoreInterrupt);
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code ?? r.signal}: ${tail(r.stderr || r.stdout, 800)}`);
  return r;
}

// The verb's own cost line on stderr: "... Volume.create ok in 312 ms, 7 Ceph calls (0 CLI)":
// its Ceph operations, and how many of them started a CLI process.
const COST = /\] (\S+) (ok|failed) in (\d+) ms, (\d+) Ceph calls \((\d+) CLI\)/;

// A verb executable run as xapi-storage-script runs it (`<Verb> --json`, params on stdin);
// returns its wall time, its Ceph call count and its result, or throws with what it printed.
async function exec(path, label, params, { ignoreInterrupt = false } = {}) {
  checkInterrupt(ignoreInterrupt);
  const r = await run(path, ["--json"], { input: JSON.stringify({ dbg: `bench-${label}`, ...params }) });
  if (r.code !== 0) throw new Error(`${label} exited ${r.code ?? r.signal}: stdout ${tail(r.stdout, 1000)}; stderr ${tail(r.stderr)}`);
  try {
    const cost = COST.exec(r.stderr);
    return { ms: r.ms, calls: Number(cost?.[4] ?? NaN), cli: Number(cost?.[5] ?? NaN), json: JSON.parse(r.stdout) };
  } catch {
    throw new Error(`${label} printed no JSON: ${tail(r.stdout, 500)}`);
  }
}
export const callVerb = (verb, params, o) => exec(join(tree.volume, verb), verb, params, o);
export const callDatapath = (verb, params, o) => exec(join(tree.datapath, `Datapath.${verb}`), `Datapath.${verb}`, params, o);

// The admin command; `json` is its parsed stdout when it printed one JSON value.
export async function admin(args, { env = {}, allowFail = false, ignoreInterrupt = false } = {}) {
  checkInterrupt(ignoreInterrupt);
  const r = await run(tree.admin, args, { env: childEnv(env) });
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  if (r.code !== 0 && !allowFail) throw new Error(`ceph-rbd-admin ${args.join(" ")} exited ${r.code ?? r.signal}: ${tail(r.stderr)}`);
  return { ...r, json };
}

// ------------------------------------------------------------------------------------ SRs, volumes

export const srConfiguration = (extra = {}) => ({
  pool: cluster.pool,
  conf: cluster.conf,
  ...(cluster.user !== "admin" ? { user: cluster.user } : {}),
  ...extra,
});

// A volume URI's parts and its `pool/namespace/image[@snap]` spec.
function parseUri(uri) {
  const m = /^([a-z+]+):\/\/([^/?]+)\/([^/?]*)\/([^/?]+)\?(.*)$/.exec(uri ?? "");
  if (!m) throw new Error(`not a ceph-rbd volume URI: ${uri}`);
  const snap = new URLSearchParams(m[5]).get("snap") ?? undefined;
  const [pool, namespace, image] = [m[2], m[3], m[4]].map(decodeURIComponent);
  return { scheme: m[1], pool, namespace, image, snap, spec: `${pool}/${namespace}/${image}${snap ? `@${snap}` : ""}` };
}
export const volumeSpec = (vol) => parseUri(vol.uri.find((u) => u.startsWith("rbd://")) ?? vol.uri[0]);

export const newVolume = (sr, name, size) => callVerb("Volume.create", { sr, name, description: "bench", size, sharable: false });

// Thin 1 GiB volumes `${prefix}-${from + 1}` .. `${prefix}-${to}` in the SR, four at a time (the
// SR's many-volume state of the listing and GC-memory topics); their Volume.create results.
export async function fillVolumes(sr, from, to, prefix) {
  log(`${prefix}: creating volumes ${from + 1}..${to}`);
  const made = await pool(to - from, 4, (i) => newVolume(sr, `${prefix}-${from + i + 1}`, GiB), { every: 100, label: `${prefix}: created` });
  return made.map((r) => r.json);
}

// GC passes until the SR holds nothing the GC would act on (untimed clean-up).
export async function collect(sr, { ignoreInterrupt = false } = {}) {
  for (let i = 0; i < 12; i++) {
    await admin(["gc", "run", "--sr", sr, "--json"], { ignoreInterrupt, allowFail: true });
    const st = (await admin(["gc", "status", "--sr", sr, "--json"], { ignoreInterrupt })).json;
    if (st && st.pending.length === 0 && st.tombstones === 0 && (st.tasks ?? []).length === 0) return;
  }
  log(`warning: the GC of SR ${sr} did not converge in 12 passes`);
}

// An SR for `fn` (created and attached through the verbs); afterwards every volume in it is
// destroyed, the GC collects and the SR is destroyed, so that its images leave the pool. With
// `keepOnThrowaway`, a throwaway cluster keeps it (it goes with the cluster: thin images only).
export async function withSr(name, fn, { extra = {}, keepOnThrowaway = false } = {}) {
  const uuid = randomUUID();
  const config = (await callVerb("SR.create", { uuid, configuration: srConfiguration(extra), name, description: "created by npm run bench" })).json;
  const sr = (await callVerb("SR.attach", { configuration: config })).json;
  const s = { uuid, config, sr, namespace: config.namespace };
  try {
    return await fn(s);
  } finally {
    if (!(keepOnThrowaway && cluster.throwaway)) await destroySr(s);
  }
}

async function destroySr(s) {
  const o = { ignoreInterrupt: true };
  try {
    const vols = (await callVerb("SR.ls", { sr: s.sr }, o)).json;
    const order = [...vols.filter((v) => !v.read_write), ...vols.filter((v) => v.read_write)];
    await pool(order.length, 4, (i) => callVerb("Volume.destroy", { sr: s.sr, key: order[i].key }, o), { every: 100, label: "clean-up: destroyed" });
    await collect(s.sr, o);
    await callVerb("SR.destroy", { sr: s.sr }, o);
  } catch (e) {
    log(`warning: clean-up of SR ${s.uuid} (namespace ${s.namespace}): ${e.message}`);
  }
}

// ------------------------------------------------------------------------------------ machine

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

// ------------------------------------------------------------------------------------ end

// Ctrl-C: children get SIGTERM and the run stops at its next step (a second one quits at once);
// the throwaway cluster and the private build go in any case.
export function installCleanup() {
  const cleanup = () => {
    clusterDown();
    if (tree.dir) rmSync(tree.dir, { recursive: true, force: true });
    tree.dir = undefined;
  };
  let signals = 0;
  const onSignal = (sig) => {
    state.interrupted = true;
    if (++signals > 1) {
      for (const c of live) c.kill("SIGKILL");
      process.exit(130);
    }
    log(`${sig}: stopping (send it again to quit at once)`);
    for (const c of live) c.kill("SIGTERM");
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("exit", cleanup);
  return cleanup;
}
