// What the GC costs, against a real Ceph cluster:
//   1. Flatten throughput: the GC flattening an orphaned clone (the volume's head after a native
//      revert whose snapshot was then destroyed), timed from `ceph-rbd-admin gc run --sr SR
//      --json` to the moment `rbd info` shows the head without a parent (polled every 0.5 s), so
//      the mgr task's run and the admin's wait for it are included; against a plain
//      `rbd flatten --no-progress` of an identical clone made the same way. Three columns: GC via
//      the mgr rbd_support task queue (the default), plain `rbd flatten`, and the GC's own
//      fallback worker (CEPH_RBD_GC_MGR=off). Each measurement gets a fresh clone; the order of
//      the three rotates from run to run; after each, the volume is destroyed and the SR is
//      collected (untimed) so that the next pass finds nothing but its own clone.
//   2. The GC worker's memory: `ceph-rbd-admin gc worker` on an SR of 1000 volumes (some
//      destroyed with snapshots, so that it has work), CEPH_RBD_GC_INTERVAL=2, for at least 5
//      passes (counted from the SR's `gc:status` omap entry), sampling VmHWM/VmRSS from
//      /proc/<pid>/status every 0.5 s; then SIGTERM. Reports its peak RSS and the pass duration
//      (`ms` of gc:status). Each run is a fresh worker with a fresh handful of destroyed volumes.
//
//   node scripts/bench-gc.mjs [--quick] [--runs N] [--json-out FILE]
//
// With CEPH_CONF set it uses that cluster (pool CEPH_POOL, default rbd; cephx id CEPH_CLIENT_ID,
// default admin) and destroys what it created at the end. Otherwise it starts a throwaway cluster
// with scripts/ceph-local.sh (40 GB OSD) and removes it at the end, also on failure or SIGINT.
// Needs `npm run build` first. Tables and goal checks go to stdout, progress to stderr. Speed and
// memory figures never make it fail (goals are printed as PASS/MISS facts); a failing verb or
// command does (exit 1). --quick: 1 run, 128 MiB, 100 volumes: a smoke run, no verdicts.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");
const VOLUME_DIR = join(root, "plugins/volume/org.xen.xapi.storage.ceph-rbd");
const ADMIN = join(root, "plugins/bin/ceph-rbd-admin");
const CEPH_LOCAL = join(root, "scripts/ceph-local.sh");
const PROG = "bench-gc";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// ------------------------------------------------------------------------------------ options

const usage = (code = 2) => {
  process.stderr.write(
    [
      "usage: node scripts/bench-gc.mjs [--quick] [--runs N] [--json-out FILE]",
      "  --quick       1 run, 128 MiB clones, 100 volumes (a smoke run: no verdicts on speed)",
      "  --runs N      runs per figure (default 3; the median is reported, with min and max)",
      "  --json-out F  write every raw figure to F",
      "",
    ].join("\n"),
  );
  process.exit(code);
};
const opts = { quick: false, runs: undefined, jsonOut: undefined };
{
  const argv = process.argv.slice(2);
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
    else if (a === "--runs") {
      const v = val();
      if (!/^[1-9][0-9]*$/.test(v)) {
        process.stderr.write(`${PROG}: --runs must be a positive integer, got '${v}'\n`);
        usage();
      }
      opts.runs = Number(v);
    } else if (a === "--json-out") opts.jsonOut = val();
    else if (a === "--help" || a === "-h") usage(0);
    else {
      process.stderr.write(`${PROG}: unknown argument ${argv[i]}\n`);
      usage();
    }
  }
}
const RUNS = opts.runs ?? (opts.quick ? 1 : 3);
const SIZES_MIB = opts.quick ? [128] : [256, 1024];
const VOLUMES = opts.quick ? 100 : 1000;
const CONCURRENCY = 4;
const HANDFUL = 10; // volumes destroyed with snapshots before each worker run
const MIN_PASSES = 5;
const WORKER_INTERVAL = "2";
const WORKER_DEADLINE_MS = (opts.quick ? 5 : 20) * 60_000;
const FLATTEN_DEADLINE_MS = 20 * 60_000;
const POLL_MS = 500;
const CMD_DEADLINE_MS = 30 * 60_000;
const GOAL_RATIO = 0.8;
const GOAL_RSS_MIB = 100;

const log = (msg) => process.stderr.write(`${PROG}: ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------ processes

const live = new Set();
let interrupted = false;
const scratch = mkdtempSync(join(tmpdir(), "bench-gc-"));
const RUN_DIR = join(scratch, "run");

// The environment of every child: the cluster's conf, and nothing that would start a GC worker
// behind our back or write to syslog. In a throwaway cluster only CEPH_CONF is passed on: Ceph
// itself reads CEPH_KEYRING (and CEPH_ARGS) from the environment, and a stale one breaks things.
let baseEnv = { ...process.env };
const childEnv = (extra = {}) => ({
  ...baseEnv,
  ...(cluster.conf ? { CEPH_CONF: cluster.conf } : {}),
  CEPH_RBD_GC: "off",
  CEPH_RBD_LOG_SYSLOG: "off",
  CEPH_RBD_LOG_STDERR: "info",
  CEPH_RBD_RUN_DIR: RUN_DIR,
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

// One volume verb, as xapi-storage-script calls it; throws with what the verb printed.
async function callVerb(verb, params, { ignoreInterrupt = false } = {}) {
  if (interrupted && !ignoreInterrupt) throw new Error("interrupted");
  const r = await run(join(VOLUME_DIR, verb), ["--json"], { input: JSON.stringify({ dbg: `${PROG}-${verb}`, ...params }) });
  if (r.code !== 0) throw new Error(`${verb} exited ${r.code ?? r.signal}: stdout ${tail(r.stdout, 1000)}; stderr ${tail(r.stderr)}`);
  try {
    return { ms: r.ms, json: JSON.parse(r.stdout) };
  } catch {
    throw new Error(`${verb} printed no JSON: ${tail(r.stdout, 500)}`);
  }
}

// The admin command; `json` is its parsed stdout when it printed one JSON value.
async function admin(args, { env = {}, ignoreInterrupt = false, allowFail = false } = {}) {
  if (interrupted && !ignoreInterrupt) throw new Error("interrupted");
  const r = await run(ADMIN, args, { env: childEnv(env) });
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  if (r.code !== 0 && !allowFail) throw new Error(`ceph-rbd-admin ${args.join(" ")} exited ${r.code ?? r.signal}: stdout ${tail(r.stdout, 1000)}; stderr ${tail(r.stderr)}`);
  return { ...r, json };
}

// Ceph CLIs, with the conf and id the plugin uses.
const cephArgs = () => ["--conf", cluster.conf, "--id", cluster.user];
async function ceph(tool, args, { ignoreInterrupt = false } = {}) {
  if (interrupted && !ignoreInterrupt) throw new Error("interrupted");
  const r = await run(tool, [...cephArgs(), ...args]);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(" ")} exited ${r.code ?? r.signal}: ${tail(r.stderr, 800)}`);
  return r;
}

// Runs `work(i)` for i in [0, n) with at most `limit` at a time; progress on stderr every `every`.
async function pool(n, limit, work, { every, label } = {}) {
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
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, n) }, worker));
  const rejected = settled.find((x) => x.status === "rejected");
  if (rejected) throw rejected.reason;
  return results;
}

// ------------------------------------------------------------------------------------ statistics

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (xs) => (xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length } : undefined);
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
    const dir = mkdtempSync(join(tmpdir(), "bench-gc-ceph-"));
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
  machine: {},
  cluster: {},
  flatten: [],
  memory: undefined,
  notes: [],
  failures: [],
};

const fail = (what, e) => {
  const message = e instanceof Error ? e.message : String(e);
  results.failures.push({ what, error: message });
  log(`FAILED: ${what}: ${message}`);
};

// ------------------------------------------------------------------------------------ SRs

const createdSrs = [];
const srConfiguration = () => ({ pool: cluster.pool, conf: cluster.conf, ...(cluster.user !== "admin" ? { user: cluster.user } : {}) });

async function makeSr(name) {
  const uuid = randomUUID();
  const config = (await callVerb("SR.create", { uuid, configuration: srConfiguration(), name, description: `created by scripts/${PROG}.mjs` })).json;
  const entry = { uuid, config, sr: undefined, namespace: config.namespace };
  createdSrs.push(entry);
  entry.sr = (await callVerb("SR.attach", { configuration: config })).json;
  return entry;
}

const uriOf = (vol) => vol.uri.find((u) => u.startsWith("rbd://")) ?? vol.uri[0];
const imageOf = (vol) => decodeURIComponent(/^[a-z+]+:\/\/[^/]+\/[^/]+\/([^/?]+)\?/.exec(uriOf(vol))?.[1] ?? "");
const specOf = (s, image) => `${cluster.pool}/${s.namespace}/${image}`;

async function hasParent(s, image) {
  const r = await ceph("rbd", ["info", "--format", "json", specOf(s, image)]);
  return "parent" in JSON.parse(r.stdout);
}

// Sequential 4 MiB writes over the first `mib` MiB of an image, 16 in flight.
const fill = (s, image, mib) => ceph("rbd", ["bench", "--io-type", "write", "--io-size", "4M", "--io-threads", "16", "--io-total", `${mib}M`, "--io-pattern", "seq", specOf(s, image)]);

// A GC pass, then more until the SR holds nothing the GC would act on (untimed clean-up).
async function collect(s, { ignoreInterrupt = false } = {}) {
  for (let i = 0; i < 12; i++) {
    await admin(["gc", "run", "--sr", s.sr, "--json"], { ignoreInterrupt });
    const st = (await admin(["gc", "status", "--sr", s.sr, "--json"], { ignoreInterrupt })).json;
    if (st && st.pending.length === 0 && st.tombstones === 0 && (st.tasks ?? []).length === 0) return;
    if (!ignoreInterrupt && interrupted) throw new Error("interrupted");
  }
  log(`warning: the GC of ${s.namespace} did not converge in 12 passes`);
}

// Existing cluster only: destroy every volume of our SRs, collect, then destroy the SRs.
async function destroySrs() {
  for (const s of createdSrs) {
    if (s.destroyed) continue;
    try {
      if (!s.sr) s.sr = (await callVerb("SR.attach", { configuration: s.config }, { ignoreInterrupt: true })).json;
      const vols = (await callVerb("SR.ls", { sr: s.sr }, { ignoreInterrupt: true })).json;
      log(`cleanup: destroying ${vols.length} volume(s) of SR ${s.uuid}`);
      const order = [...vols.filter((v) => !v.read_write), ...vols.filter((v) => v.read_write)];
      await pool(order.length, CONCURRENCY, (i) => callVerb("Volume.destroy", { sr: s.sr, key: order[i].key }, { ignoreInterrupt: true }), { every: 100, label: "cleanup destroy" });
      await collect(s, { ignoreInterrupt: true });
      await callVerb("SR.destroy", { sr: s.sr }, { ignoreInterrupt: true });
      s.destroyed = true;
      log(`cleanup: SR ${s.uuid} destroyed`);
    } catch (e) {
      fail(`cleanup of SR ${s.uuid} (namespace ${s.config?.namespace})`, e);
    }
  }
}

// ------------------------------------------------------------------------------------ header

function header() {
  const v = spawnSync("ceph", ["--version"], { encoding: "utf8" });
  const nproc = spawnSync("nproc", [], { encoding: "utf8" });
  results.machine = {
    nproc: Number(nproc.stdout?.trim()) || cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    totalMemoryMiB: Math.round(totalmem() / MiB),
    node: process.version,
    loadavgAtStart: loadavg().map((x) => round(x, 2)),
  };
  results.cluster.cephVersion = v.status === 0 ? v.stdout.trim() : "unknown";
  const m = results.machine;
  console.log(`# bench-gc (${results.mode}: ${RUNS} run${RUNS === 1 ? "" : "s"} per figure; flatten of ${SIZES_MIB.join(", ")} MiB; worker memory at ${VOLUMES} volumes)`);
  console.log(`date:     ${results.started}`);
  console.log(`ceph:     ${results.cluster.cephVersion}`);
  console.log(`machine:  nproc ${m.nproc} (${m.cpuModel}), ${(m.totalMemoryMiB / 1024).toFixed(1)} GiB RAM, node ${m.node}, load average at start ${m.loadavgAtStart.join(" ")}`);
}

// ------------------------------------------------------------------------------------ 1. flatten

const METHODS = ["gc-mgr", "plain", "gc-local"];
const METHOD_LABEL = { "gc-mgr": "GC (mgr task)", plain: "rbd flatten", "gc-local": "GC (own worker, CEPH_RBD_GC_MGR=off)" };

// The volume's head becomes an orphaned clone: create, fill, snapshot, revert to it, destroy the
// snapshot. Returns the volume's key and its (new) image.
async function orphanedClone(s, mib, tag) {
  const v = (await callVerb("Volume.create", { sr: s.sr, name: `flatten-${tag}`, description: PROG, size: mib * MiB, sharable: false })).json;
  await fill(s, imageOf(v), mib);
  const snap = (await callVerb("Volume.snapshot", { sr: s.sr, key: v.key })).json;
  await callVerb("Volume.revert", { sr: s.sr, key: v.key, snapshot: snap.key });
  await callVerb("Volume.destroy", { sr: s.sr, key: snap.key });
  const now = (await callVerb("Volume.stat", { sr: s.sr, key: v.key })).json;
  const image = imageOf(now);
  if (!(await hasParent(s, image))) throw new Error(`after revert and the snapshot's destroy, ${image} has no parent`);
  return { key: v.key, image };
}

// Times the GC from `gc run` until the head has no parent. A pass that did not flatten it (heavy
// work paused on an unhealthy cluster, a flatten that failed) is followed by another pass after
// 5 s of polling.
async function timeGc(s, image, env) {
  const t0 = Date.now();
  const passes = [];
  for (;;) {
    const r = await admin(["gc", "run", "--sr", s.sr, "--json"], { env, allowFail: true });
    const j = r.json ?? {};
    if (!Array.isArray(j.done)) throw new Error(`gc run exited ${r.code ?? r.signal} without a report: ${tail(r.stderr)}`);
    const flattened = j.done.some((d) => d.includes(image) && /flatten/.test(d));
    passes.push({ ms: round(r.ms), code: r.code, done: j.done, failed: j.failed, ...(j.paused ? { paused: j.paused } : {}) });
    if (j.paused) log(`gc run: heavy work paused (${j.paused})`);
    if (!flattened) log(`gc run did not flatten ${image}: done ${JSON.stringify(j.done)}, failed ${JSON.stringify(j.failed)}`);
    const until = flattened ? t0 + FLATTEN_DEADLINE_MS : Math.min(Date.now() + 5000, t0 + FLATTEN_DEADLINE_MS);
    for (;;) {
      if (!(await hasParent(s, image))) return { ms: Date.now() - t0, passes };
      if (interrupted) throw new Error("interrupted");
      if (Date.now() >= until) break;
      await sleep(POLL_MS);
    }
    if (Date.now() - t0 >= FLATTEN_DEADLINE_MS) throw new Error(`${image} still has a parent ${FLATTEN_DEADLINE_MS / 60000} min after the first gc run (${passes.length} passes)`);
  }
}

async function timePlain(s, image) {
  const r = await ceph("rbd", ["flatten", "--no-progress", specOf(s, image)]);
  if (await hasParent(s, image)) throw new Error(`rbd flatten ${image} exited 0 but the image still has a parent`);
  return { ms: r.ms };
}

async function flattenPhase() {
  const s = await makeSr(`${PROG} flatten SR`);
  results.cluster.flattenNamespace = s.namespace;
  for (const mib of SIZES_MIB) {
    const row = { mib, runs: [] };
    results.flatten.push(row);
    for (let i = 0; i < RUNS; i++) {
      const order = METHODS.map((_, k) => METHODS[(k + i) % METHODS.length]);
      const entry = {};
      row.runs.push(entry);
      for (const method of order) {
        if (interrupted) throw new Error("interrupted");
        log(`flatten ${mib} MiB, run ${i + 1}/${RUNS}: ${METHOD_LABEL[method]} (preparing the clone)`);
        const c = await orphanedClone(s, mib, `${mib}-${i}-${method}`);
        try {
          const m = method === "plain" ? await timePlain(s, c.image) : await timeGc(s, c.image, method === "gc-local" ? { CEPH_RBD_GC_MGR: "off" } : {});
          entry[method] = { ms: round(m.ms), mibPerS: round((mib * 1000) / m.ms, 2), ...(m.passes ? { passes: m.passes } : {}) };
          log(`  ${METHOD_LABEL[method]}: ${(m.ms / 1000).toFixed(2)} s, ${fmt((mib * 1000) / m.ms)} MiB/s${m.passes && m.passes.length > 1 ? ` (${m.passes.length} passes)` : ""}`);
        } catch (e) {
          entry[method] = { error: e.message };
          fail(`flatten ${mib} MiB run ${i + 1} ${METHOD_LABEL[method]}`, e);
        }
        // Untimed: the volume goes, and the GC collects what is left, so that the next
        // measurement's pass has nothing but its own clone to do.
        await callVerb("Volume.destroy", { sr: s.sr, key: c.key });
        await collect(s);
      }
      if (entry["gc-mgr"]?.ms && entry.plain?.ms) entry.ratioMgr = round(entry.plain.ms / entry["gc-mgr"].ms, 3);
      if (entry["gc-local"]?.ms && entry.plain?.ms) entry.ratioLocal = round(entry.plain.ms / entry["gc-local"].ms, 3);
    }
    for (const method of METHODS) row[method] = summary(row.runs.map((r) => r[method]?.mibPerS).filter(Number.isFinite));
    row.ratioMgr = summary(row.runs.map((r) => r.ratioMgr).filter(Number.isFinite));
    row.ratioLocal = summary(row.runs.map((r) => r.ratioLocal).filter(Number.isFinite));
  }
}

// ------------------------------------------------------------------------------------ 2. memory

async function readGcStatus(s) {
  const file = join(scratch, `gc-status-${process.pid}`);
  rmSync(file, { force: true });
  const r = await run("rados", [...cephArgs(), "--pool", cluster.pool, "--namespace", s.namespace, "getomapval", "ceph_rbd_sr", "gc:status", file]);
  if (r.code !== 0) {
    // A missing key: exit 1 and "No such key: ..." on stdout.
    if (/No such key/.test(r.stdout + r.stderr)) return undefined;
    throw new Error(`rados getomapval gc:status exited ${r.code ?? r.signal}: ${tail(r.stdout + r.stderr, 500)}`);
  }
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`gc:status is not JSON: ${e.message}`);
  }
}

function procStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
    return { hwm: kib("VmHWM"), rss: kib("VmRSS") };
  } catch {
    return undefined;
  }
}

// Gives the GC work: HANDFUL volumes get a snapshot and lose their head (a tombstone to reclaim);
// half of them lose the snapshot too (a tombstone nothing needs: to the trash, then purged).
async function giveWork(s, vols, from) {
  const batch = vols.slice(from, from + HANDFUL);
  const snaps = await pool(batch.length, CONCURRENCY, (i) => callVerb("Volume.snapshot", { sr: s.sr, key: batch[i].key }));
  await pool(batch.length, CONCURRENCY, (i) => callVerb("Volume.destroy", { sr: s.sr, key: batch[i].key }));
  const half = Math.ceil(batch.length / 2);
  await pool(half, CONCURRENCY, (i) => callVerb("Volume.destroy", { sr: s.sr, key: snaps[i].json.key }));
  return batch.length;
}

let workerChild;

async function workerRun(s, runIndex) {
  const before = await readGcStatus(s);
  const seen = new Set(before ? [before.at] : []);
  const passes = [];
  const samples = [];
  let stderr = "";
  const env = childEnv({ CEPH_RBD_GC_INTERVAL: WORKER_INTERVAL, CEPH_RBD_LOG_SYSLOG: "off", CEPH_RBD_LOG_STDERR: "warning" });
  const child = spawn(ADMIN, ["gc", "worker", "--sr", s.sr], { env, cwd: "/", stdio: ["ignore", "ignore", "pipe"] });
  workerChild = child;
  live.add(child);
  // A pass that throws writes no gc:status, only a warning on stderr: counted from there.
  const failedPasses = [];
  let partial = "";
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-4000);
    const lines = (partial + d).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) {
      const m = /gc pass failed: (.*)$/.exec(l);
      if (m) {
        failedPasses.push(m[1].slice(0, 500));
        log(`  pass failed: ${m[1].slice(0, 300)}`);
      }
    }
  });
  let exited;
  const exitPromise = new Promise((resolve) => child.on("close", (code, signal) => resolve((exited = { code, signal }))));
  const t0 = Date.now();
  log(`memory run ${runIndex + 1}/${RUNS}: gc worker pid ${child.pid} started; waiting for ${MIN_PASSES} passes`);
  // Sampling every 0.5 s, and gc:status checked in between (a rados call each).
  let stopAt;
  let stopMs;
  const sampler = setInterval(() => {
    const st = procStatus(child.pid);
    if (st && Number.isFinite(st.rss)) samples.push({ t: Date.now() - t0, ...st });
  }, POLL_MS);
  try {
    while (passes.length + failedPasses.length < MIN_PASSES) {
      if (exited) throw new Error(`the gc worker exited early (${exited.code ?? exited.signal}): ${tail(stderr)}`);
      if (interrupted) throw new Error("interrupted");
      if (Date.now() - t0 > WORKER_DEADLINE_MS) {
        results.notes.push(`memory run ${runIndex + 1}: only ${passes.length} passes within ${WORKER_DEADLINE_MS / 60000} min`);
        log(`memory run ${runIndex + 1}: deadline reached after ${passes.length} passes`);
        break;
      }
      const st = await readGcStatus(s);
      if (st && !seen.has(st.at)) {
        seen.add(st.at);
        if (st.pid === child.pid) {
          passes.push({ at: st.at, ms: st.ms, done: st.done.length, failed: st.failed.length, ...(st.paused ? { paused: st.paused } : {}) });
          log(`  pass ${passes.length}: ${st.ms} ms, ${st.done.length} done, ${st.failed.length} failed${st.paused ? ` (paused: ${st.paused})` : ""}; RSS ${fmt((samples[samples.length - 1]?.rss ?? NaN) / 1024)} MiB`);
          if (st.failed.length > 0) results.notes.push(`memory run ${runIndex + 1}, pass ${passes.length}: failed: ${st.failed.join("; ")}`);
        }
      }
      await sleep(POLL_MS);
    }
  } finally {
    stopAt = Date.now();
    if (!exited) child.kill("SIGTERM");
    const grace = setTimeout(() => {
      if (!exited) {
        log(`the gc worker did not stop within 120 s of SIGTERM: killing it`);
        results.notes.push(`memory run ${runIndex + 1}: the gc worker did not stop within 120 s of SIGTERM`);
        child.kill("SIGKILL");
      }
    }, 120_000);
    await exitPromise;
    clearTimeout(grace);
    clearInterval(sampler);
    live.delete(child);
    workerChild = undefined;
    stopMs = Date.now() - stopAt;
    if (exited.code !== 0 && exited.signal !== "SIGKILL") results.notes.push(`memory run ${runIndex + 1}: the gc worker exited ${exited.code ?? exited.signal} after SIGTERM: ${tail(stderr, 500)}`);
  }
  if (failedPasses.length) results.notes.push(`memory run ${runIndex + 1}: ${failedPasses.length} pass(es) failed: ${[...new Set(failedPasses)].join("; ")}`);
  const hwm = Math.max(...samples.map((x) => x.hwm).filter(Number.isFinite));
  const rss = samples.map((x) => x.rss).filter(Number.isFinite);
  return {
    passes,
    failedPasses: failedPasses.length,
    seconds: round((Date.now() - t0) / 1000),
    samples: samples.length,
    peakHwmMiB: round(hwm / 1024),
    maxRssMiB: round(Math.max(...rss) / 1024),
    medianRssMiB: round(median(rss) / 1024),
    stopMs,
    stderrTail: stderr.trim() ? stderr.trim().slice(-1000) : undefined,
  };
}

async function memoryPhase() {
  const s = await makeSr(`${PROG} memory SR`);
  const mem = { namespace: s.namespace, volumes: VOLUMES, runs: [] };
  results.memory = mem;
  log(`memory: creating ${VOLUMES} volumes (concurrency ${CONCURRENCY})`);
  const t0 = Date.now();
  const made = await pool(VOLUMES, CONCURRENCY, (i) => callVerb("Volume.create", { sr: s.sr, name: `mem-${String(i + 1).padStart(4, "0")}`, description: PROG, size: GiB, sharable: false }), {
    every: 100,
    label: "memory: created",
  });
  mem.createSeconds = round((Date.now() - t0) / 1000);
  mem.createMs = summary(made.map((r) => r.ms));
  log(`memory: ${VOLUMES} volumes created in ${mem.createSeconds} s`);
  const vols = made.map((r) => r.json);
  for (let i = 0; i < RUNS; i++) {
    if (interrupted) throw new Error("interrupted");
    const n = await giveWork(s, vols, i * HANDFUL);
    log(`memory run ${i + 1}/${RUNS}: ${n} volumes destroyed with snapshots (${Math.ceil(n / 2)} snapshots destroyed too)`);
    const r = await workerRun(s, i);
    mem.runs.push(r);
    log(`memory run ${i + 1}: peak RSS ${fmt(r.peakHwmMiB)} MiB over ${r.passes.length} passes (${r.seconds} s)`);
  }
  mem.peakHwmMiB = summary(mem.runs.map((r) => r.peakHwmMiB));
  mem.medianRssMiB = summary(mem.runs.map((r) => r.medianRssMiB));
  mem.passMs = summary(mem.runs.flatMap((r) => r.passes.map((p) => p.ms)));
  mem.passesPerRun = mem.runs.map((r) => r.passes.length);
  const listed = (await callVerb("SR.ls", { sr: s.sr })).json.length;
  mem.volumesAtEnd = listed;
}

// ------------------------------------------------------------------------------------ report

function goal(label, ok, detail) {
  const verdict = opts.quick ? `${ok ? "PASS" : "MISS"} (quick run: not a verdict)` : ok ? "PASS" : "MISS";
  console.log(`GOAL ${label}: ${verdict}: ${detail}`);
  (results.goals ??= []).push({ label, pass: ok, detail, quick: opts.quick });
}

function report() {
  console.log("");
  console.log(`## 1. Flatten throughput of an orphaned clone (MiB/s: median (min-max) of ${RUNS} run${RUNS === 1 ? "" : "s"})`);
  console.log("GC: from `ceph-rbd-admin gc run --sr SR --json` to `rbd info` showing no parent (0.5 s polls);");
  console.log("rbd flatten: `rbd flatten --no-progress SPEC`, process wall time. Each a fresh clone of S MiB of data.");
  if (results.flatten.length === 0) console.log("(not measured)");
  else {
    const rows = results.flatten.map((r) => [
      `${r.mib} MiB`,
      fmtSummary(r["gc-mgr"]),
      fmtSummary(r.plain),
      fmtSummary(r["gc-local"]),
      fmtSummary(r.ratioMgr, fmtRatio),
      fmtSummary(r.ratioLocal, fmtRatio),
    ]);
    console.log(table(["size", "GC (mgr task)", "rbd flatten", "GC own worker (MGR=off)", "GC mgr / plain", "GC own / plain"], rows, ["l", "r", "r", "r", "r", "r"]));
    console.log("Ratios are per run (each run measures all three back to back, in rotating order), then the median.");
    const secs = results.flatten.map((r) => {
      const s = (m) => summary(r.runs.map((x) => x[m]?.ms).filter(Number.isFinite));
      return `${r.mib} MiB: GC mgr ${fmtSummary(s("gc-mgr"), (x) => (x / 1000).toFixed(2))} s, rbd flatten ${fmtSummary(s("plain"), (x) => (x / 1000).toFixed(2))} s, GC own ${fmtSummary(s("gc-local"), (x) => (x / 1000).toFixed(2))} s`;
    });
    console.log(`Wall times: ${secs.join("; ")}`);
    const multi = results.flatten.flatMap((r) => r.runs.flatMap((x) => METHODS.filter((m) => x[m]?.passes?.length > 1).map((m) => `${r.mib} MiB ${m}: ${x[m].passes.length} passes`)));
    if (multi.length) console.log(`More than one gc run was needed: ${multi.join(", ")}`);
    const sample = results.flatten[0]?.runs[0]?.["gc-mgr"]?.passes?.[0]?.done;
    if (sample) console.log(`What the first timed pass did (GC mgr, ${results.flatten[0].mib} MiB, run 1): ${sample.join("; ")}`);
    console.log("");
    for (const r of results.flatten) {
      if (r.ratioMgr) goal(`flatten ${r.mib} MiB, GC (mgr) / rbd flatten >= ${GOAL_RATIO}x`, r.ratioMgr.median >= GOAL_RATIO, `${fmtRatio(r.ratioMgr.median)} (${fmtRatio(r.ratioMgr.min)}-${fmtRatio(r.ratioMgr.max)})`);
      if (r.ratioLocal) goal(`flatten ${r.mib} MiB, GC (own worker) / rbd flatten >= ${GOAL_RATIO}x`, r.ratioLocal.median >= GOAL_RATIO, `${fmtRatio(r.ratioLocal.median)} (${fmtRatio(r.ratioLocal.min)}-${fmtRatio(r.ratioLocal.max)})`);
    }
  }

  const m = results.memory;
  console.log("");
  console.log(`## 2. GC worker memory with ${VOLUMES} volumes in the SR (${RUNS} run${RUNS === 1 ? "" : "s"}, each a fresh worker, CEPH_RBD_GC_INTERVAL=${WORKER_INTERVAL}, >= ${MIN_PASSES} passes)`);
  if (!m?.runs?.length) console.log("(not measured)");
  else {
    if (m.createMs) console.log(`Volume.create while filling (concurrency ${CONCURRENCY}): ${m.volumes} in ${m.createSeconds} s; per call median ${fmt(m.createMs.median)} ms (${fmt(m.createMs.min)}-${fmt(m.createMs.max)})`);
    const rows = m.runs.map((r, i) => [
      String(i + 1),
      `${r.passes.length}${r.failedPasses ? ` (+${r.failedPasses} failed)` : ""}`,
      fmt(r.peakHwmMiB),
      fmt(r.medianRssMiB),
      fmtSummary(summary(r.passes.map((p) => p.ms))),
      String(r.passes.reduce((a, p) => a + p.done, 0)),
      String(r.passes.reduce((a, p) => a + p.failed, 0)),
      `${r.seconds}`,
      `${r.stopMs}`,
    ]);
    console.log(table(["run", "passes", "peak RSS MiB (VmHWM)", "median RSS MiB", "pass ms: median (min-max)", "actions done", "failed", "run s", "SIGTERM->exit ms"], rows, ["r", "r", "r", "r", "r", "r", "r", "r", "r"]));
    console.log(`Peak RSS (VmHWM) across runs: ${fmtSummary(m.peakHwmMiB)} MiB; pass duration (gc:status ms, all passes): ${fmtSummary(m.passMs)} ms`);
    console.log("");
    if (m.peakHwmMiB) goal(`gc worker peak RSS with ${VOLUMES} volumes <= ${GOAL_RSS_MIB} MiB`, m.peakHwmMiB.max <= GOAL_RSS_MIB, `max ${fmt(m.peakHwmMiB.max)} MiB, median ${fmt(m.peakHwmMiB.median)} MiB`);
  }
  if (results.notes.length) {
    console.log("");
    console.log("Notes:");
    for (const n of results.notes) console.log(`- ${n}`);
  }
  console.log("");
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")} (figures are noisy: shared ${results.machine.nproc}-CPU machine, the cluster runs on it too)`);
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
process.on("exit", () => {
  if (workerChild && workerChild.exitCode === null) workerChild.kill("SIGKILL");
  clusterDown();
});

async function main() {
  const t0 = Date.now();
  for (const f of [ADMIN, join(VOLUME_DIR, "SR.create")]) {
    if (!existsSync(f)) {
      process.stderr.write(`${PROG}: ${f} is missing: run \`npm run build\` first\n`);
      process.exit(2);
    }
  }
  header();
  try {
    await clusterUp();
    results.cluster.throwaway = cluster.throwaway;
    results.cluster.pool = cluster.pool;
    console.log(`cluster:  ${cluster.throwaway ? `throwaway (scripts/ceph-local.sh, port ${cluster.port}, ${baseEnv.CEPH_LOCAL_OSDS || 1} ${baseEnv.CEPH_LOCAL_STORE || "bluestore"} OSD(s))` : `existing (${cluster.conf})`}, pool ${cluster.pool}`);
    try {
      await flattenPhase();
    } catch (e) {
      fail("flatten phase", e);
    }
    if (!interrupted) {
      try {
        await memoryPhase();
      } catch (e) {
        fail("memory phase", e);
      }
    }
  } catch (e) {
    fail("set-up", e);
  } finally {
    report();
    if (!cluster.throwaway && cluster.conf) await destroySrs();
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
