// Cost of every volume verb against a real Ceph cluster, and how SR.ls scales with the number of
// volumes. Each verb runs as xapi-storage-script runs it (`<Verb> --json`, params on stdin) and is
// timed from spawn to exit; its Ceph call count comes from its own stderr line
// ("SMAPIv3: [pid] - INFO - [dbg] Volume.create ok in 312 ms, 7 Ceph calls").
//
//   node scripts/bench-verbs.mjs [--quick] [--json-out FILE]
//
// With CEPH_CONF set it uses that cluster (pool CEPH_POOL, default rbd; cephx id CEPH_CLIENT_ID,
// default admin) and destroys every volume and SR it created at the end. Otherwise it starts a
// throwaway cluster with scripts/ceph-local.sh and removes it at the end, also on failure or
// SIGINT. Tables go to stdout, progress to stderr. Exits non-zero if any verb fails.
// --quick (3 runs per verb, 100 volumes for the listing test) is a smoke run: no speed asserts.
//
// The verbs run from a private copy of the built plugin (plugins/lib and plugins/volume, taken
// at start), so a rebuild by someone else during the run cannot change what is measured.
// SR.attach starts a background GC worker per SR; it is off here (CEPH_RBD_GC=off, unless that
// variable is set) so that no GC pass runs between the measured calls.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");
const PLUGIN = "volume/org.xen.xapi.storage.ceph-rbd";
const CEPH_LOCAL = join(root, "scripts/ceph-local.sh");

// ------------------------------------------------------------------------------------ options

const usage = () => {
  process.stderr.write("usage: node scripts/bench-verbs.mjs [--quick] [--json-out FILE]\n");
  process.exit(2);
};
const opts = { quick: false, jsonOut: undefined };
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") opts.quick = true;
    else if (a === "--json-out") {
      opts.jsonOut = argv[++i];
      if (!opts.jsonOut) usage();
    } else if (a.startsWith("--json-out=")) opts.jsonOut = a.slice("--json-out=".length);
    else if (a === "--help" || a === "-h") usage();
    else {
      process.stderr.write(`bench-verbs: unknown argument ${a}\n`);
      usage();
    }
  }
}
const RUNS = opts.quick ? 3 : 7; // per verb
const LIST_RUNS = 7; // per SR.ls / rbd ls -l / listomapvals / Volume.stat measurement at each size
const SMALL = 10;
const LARGE = opts.quick ? 100 : 1000;
const CONCURRENCY = 4;

const log = (msg) => process.stderr.write(`bench-verbs: ${msg}\n`);

// ------------------------------------------------------------------------------------ processes

// Children still running, so an interruption can stop them.
const live = new Set();
let interrupted = false;

// Runs a program with an argument array (no shell); `ms` is the wall time from spawn to exit.
function run(cmd, args, { input = "", env = process.env, cwd = "/" } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let t1;
    const child = spawn(cmd, args, { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
    live.add(child);
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("exit", () => {
      t1 = process.hrtime.bigint();
    });
    child.on("error", (e) => {
      live.delete(child);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      live.delete(child);
      const ms = Number((t1 ?? process.hrtime.bigint()) - t0) / 1e6;
      resolve({ code, signal, ms, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

// The private copy of the build (see the top of the file), made by snapshotBuild().
const build = { dir: undefined, volumeDir: undefined };

function snapshotBuild() {
  const src = join(root, "plugins");
  if (!existsSync(join(src, PLUGIN, "Plugin.Query"))) throw new Error(`no built plugin in ${src}: run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), "bench-verbs-build-"));
  build.dir = dir;
  // The launchers find the bundles by relative path: keep the layout (lib/ beside volume/).
  cpSync(join(src, "lib"), join(dir, "lib"), { recursive: true });
  cpSync(join(src, "volume"), join(dir, "volume"), { recursive: true });
  build.volumeDir = join(dir, PLUGIN);
  const bundle = join(dir, "lib/volume.cjs");
  const git = spawnSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  results.build = {
    bundleSha256: createHash("sha256").update(readFileSync(bundle)).digest("hex").slice(0, 16),
    bundleBuilt: statSync(join(src, "lib/volume.cjs")).mtime.toISOString(),
    gitHead: git.status === 0 ? git.stdout.trim() : "unknown",
  };
}

function removeBuildCopy() {
  if (build.dir) rmSync(build.dir, { recursive: true, force: true });
  build.dir = undefined;
}

const GC = process.env.CEPH_RBD_GC ?? "off";
const verbEnv = { ...process.env, CEPH_RBD_LOG_STDERR: "info", CEPH_RBD_LOG_SYSLOG: "off", CEPH_RBD_GC: GC };
const COST = /\] (\S+) (ok|failed) in (\d+) ms, (\d+) Ceph calls/;

class VerbError extends Error {}

// One verb call; throws VerbError with what the verb printed when it fails.
async function callVerb(verb, params, { ignoreInterrupt = false } = {}) {
  if (interrupted && !ignoreInterrupt) throw new VerbError("interrupted");
  const r = await run(join(build.volumeDir, verb), ["--json"], { input: JSON.stringify({ dbg: `bench-${verb}`, ...params }), env: verbEnv });
  const m = COST.exec(r.stderr);
  const calls = m ? Number(m[4]) : undefined;
  if (r.code !== 0 || !m || m[2] !== "ok") {
    throw new VerbError(`${verb} exited ${r.code ?? r.signal}: stdout ${r.stdout.trim().slice(0, 1000) || "(empty)"}; stderr ${r.stderr.trim().slice(-1500) || "(empty)"}`);
  }
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new VerbError(`${verb} printed no JSON on stdout: ${r.stdout.slice(0, 500)}`);
  }
  return { ms: r.ms, calls, json };
}

// Runs `work(i)` for i in [0, n) with at most `limit` at a time; reports progress every `every`.
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
  // Every worker stops before the first error is passed on: nothing keeps running behind it.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, n) }, worker));
  const rejected = settled.find((x) => x.status === "rejected");
  if (rejected) throw rejected.reason;
  return results;
}

// ------------------------------------------------------------------------------------ statistics

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const round1 = (x) => Math.round(x * 10) / 10;
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(x >= 100 ? 0 : 1) : "-");
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : "-");

function table(headers, rows, align) {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const cell = (v, c) => (align[c] === "r" ? String(v).padStart(widths[c]) : String(v).padEnd(widths[c]));
  const line = (r) => `| ${r.map(cell).join(" | ")} |`;
  return [line(headers), `|${widths.map((w, c) => (align[c] === "r" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`, ...rows.map(line)].join("\n");
}

// ------------------------------------------------------------------------------------ cluster

// Ports with a listening TCP socket, from /proc (no tool needed).
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

// A multiple of 20 in 23000..23980 whose PORT..PORT+199 range (mon, mgr, OSDs) looks unused.
function pickPort(avoid) {
  const busy = listeningPorts();
  const candidates = [];
  for (let p = 23000; p <= 23980; p += 20) {
    if (avoid.has(p)) continue;
    let free = true;
    for (let q = p; q < p + 200 && free; q++) if (busy.has(q)) free = false;
    if (free) candidates.push(p);
  }
  const from = candidates.length > 0 ? candidates : Array.from({ length: 50 }, (_, i) => 23000 + i * 20);
  return from[Math.floor(Math.random() * from.length)];
}

const cluster = { throwaway: false, dir: undefined, port: undefined, conf: undefined, pool: undefined, user: undefined };

function clusterDown() {
  if (!cluster.throwaway || !cluster.dir) return;
  const dir = cluster.dir;
  cluster.dir = undefined;
  log(`removing the throwaway cluster in ${dir}`);
  const r = spawnSync("bash", [CEPH_LOCAL, "down", dir], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, CEPH_LOCAL_PORT: String(cluster.port) } });
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
  const tried = new Set();
  for (let attempt = 1; ; attempt++) {
    const port = pickPort(tried);
    tried.add(port);
    const dir = mkdtempSync(join(tmpdir(), "bench-verbs-"));
    cluster.dir = dir;
    cluster.port = port;
    log(`starting a throwaway cluster in ${dir} (CEPH_LOCAL_PORT=${port})`);
    const env = { ...process.env, CEPH_LOCAL_PORT: String(port) };
    delete env.CEPH_ARGS;
    const child = spawn("bash", [CEPH_LOCAL, "up", dir], { env, stdio: ["ignore", "pipe", "inherit"] });
    live.add(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.on("close", (c, s) => resolve(c ?? s)));
    live.delete(child);
    if (interrupted) throw new Error("interrupted");
    const vars = Object.fromEntries(
      out
        .split("\n")
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).replace(/^'(.*)'$/, "$1")]),
    );
    if (code === 0 && vars.CEPH_CONF) {
      cluster.conf = vars.CEPH_CONF;
      cluster.pool = vars.CEPH_POOL || "rbd";
      cluster.user = "admin";
      return;
    }
    clusterDown();
    if (attempt >= 2) throw new Error(`scripts/ceph-local.sh up failed (exit ${code})`);
    log(`ceph-local.sh up failed (exit ${code}); retrying once on another port`);
  }
}

// The Ceph CLIs for the comparison rows: the same conf and id the plugin uses.
const cephArgs = () => ["--conf", cluster.conf, "--id", cluster.user];
async function cephCli(tool, args) {
  if (interrupted) throw new Error("interrupted");
  const r = await run(tool, [...args, ...cephArgs()]);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(" ")} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-800)}`);
  return r;
}

// ------------------------------------------------------------------------------------ results

const results = {
  started: new Date().toISOString(),
  mode: opts.quick ? "quick" : "full",
  runsPerVerb: RUNS,
  machine: {},
  cluster: {},
  verbs: [],
  baselines: [],
  listing: undefined,
  failures: [],
};

const fail = (what, e) => {
  const message = e instanceof Error ? e.message : String(e);
  results.failures.push({ what, error: message });
  log(`FAILED: ${what}: ${message}`);
};

// Measures one row: `params(i)` gives the i-th call's params; `after(json, i)` sees each result.
async function measureVerb(label, verb, params, { n = RUNS, after } = {}) {
  const row = { label, verb, n, ms: [], calls: [] };
  results.verbs.push(row);
  log(`measuring ${label} (${n} runs)`);
  try {
    for (let i = 0; i < n; i++) {
      const p = params(i);
      const r = await callVerb(verb, p);
      row.ms.push(round1(r.ms));
      row.calls.push(r.calls);
      if (after) after(r.json, i, p);
    }
  } catch (e) {
    row.error = e.message;
    if (interrupted) throw e;
    fail(label, e);
  }
  return row;
}

async function measureCommand(label, cmd, args) {
  const row = { label, command: [cmd, ...args].join(" "), n: RUNS, ms: [] };
  results.baselines.push(row);
  try {
    for (let i = 0; i < RUNS; i++) {
      if (interrupted) throw new Error("interrupted");
      const r = await run(cmd, args);
      if (r.code !== 0) throw new Error(`exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-800)}`);
      row.ms.push(round1(r.ms));
    }
  } catch (e) {
    row.error = e.message;
    fail(label, e);
  }
  return row;
}

// ------------------------------------------------------------------------------------ SRs

const createdSrs = [];

// device-config as an admin would give it to `xe sr-create`.
const srConfiguration = () => ({ pool: cluster.pool, conf: cluster.conf, ...(cluster.user !== "admin" ? { user: cluster.user } : {}) });

async function makeSr(name) {
  const uuid = randomUUID();
  const created = await callVerb("SR.create", { uuid, configuration: srConfiguration(), name, description: "created by scripts/bench-verbs.mjs" });
  const config = created.json;
  const srEntry = { uuid, config, sr: undefined };
  createdSrs.push(srEntry);
  const attached = await callVerb("SR.attach", { configuration: config });
  srEntry.sr = attached.json;
  return { uuid, config, sr: attached.json, namespace: config.namespace, createMs: created.ms, createCalls: created.calls };
}

const GiB = 1024 ** 3;
const newVolume = (sr, name, size = GiB) => callVerb("Volume.create", { sr, name, description: "bench", size, sharable: false });
const imageOf = (vol) => decodeURIComponent(/^[a-z+]+:\/\/[^/]+\/[^/]+\/([^/?]+)\?/.exec(vol.uri[0])?.[1] ?? "");

// SR.detach of every SR still attached: it stops the SR's GC worker when one was started.
async function detachSrs() {
  for (const s of createdSrs) {
    if (s.destroyed || !s.sr) continue;
    try {
      await callVerb("SR.detach", { sr: s.sr }, { ignoreInterrupt: true });
    } catch (e) {
      fail(`SR.detach of SR ${s.uuid} at the end`, e);
    }
  }
}

// Existing cluster only: destroy every volume of our SRs, then the SRs.
async function destroySrs() {
  for (const s of createdSrs) {
    if (s.destroyed) continue;
    try {
      if (!s.sr) s.sr = (await callVerb("SR.attach", { configuration: s.config }, { ignoreInterrupt: true })).json;
      const vols = (await callVerb("SR.ls", { sr: s.sr }, { ignoreInterrupt: true })).json;
      log(`cleanup: destroying ${vols.length} volume(s) of SR ${s.uuid}`);
      // Snapshots first keeps tombstones out of the way; destroy accepts any order anyway.
      const order = [...vols.filter((v) => !v.read_write), ...vols.filter((v) => v.read_write)];
      await pool(order.length, CONCURRENCY, (i) => callVerb("Volume.destroy", { sr: s.sr, key: order[i].key }, { ignoreInterrupt: true }), {
        every: 100,
        label: "cleanup destroy",
      });
      await callVerb("SR.destroy", { sr: s.sr }, { ignoreInterrupt: true });
      log(`cleanup: SR ${s.uuid} destroyed`);
    } catch (e) {
      fail(`cleanup of SR ${s.uuid} (namespace ${s.config?.namespace})`, e);
    }
  }
}

// ------------------------------------------------------------------------------------ phases

function header() {
  const cephVersion = spawnSync("ceph", ["--version"], { encoding: "utf8" });
  const nproc = spawnSync("nproc", [], { encoding: "utf8" });
  results.machine = {
    nproc: Number(nproc.stdout?.trim()) || cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    loadavgAtStart: loadavg().map(round1),
  };
  results.gc = GC;
  results.cluster.cephVersion = cephVersion.status === 0 ? cephVersion.stdout.trim() : `unknown (ceph --version: ${cephVersion.error?.message ?? cephVersion.stderr})`;
  const m = results.machine;
  console.log(`# bench-verbs (${results.mode}: ${RUNS} runs per verb, listing at ${SMALL} and ${LARGE} volumes)`);
  console.log(`date:     ${results.started}`);
  console.log(`ceph:     ${results.cluster.cephVersion}`);
  console.log(`machine:  ${m.nproc} CPU(s) (${m.cpuModel}), ${(m.totalMemoryMiB / 1024).toFixed(1)} GiB RAM, node ${m.node}, load average at start ${m.loadavgAtStart.join(" ")}`);
  const b = results.build;
  console.log(`build:    plugins/lib/volume.cjs sha256 ${b.bundleSha256}, built ${b.bundleBuilt} (git HEAD ${b.gitHead}; the working tree may differ), run from a private copy`);
  console.log(`gc:       CEPH_RBD_GC=${GC}${GC === "off" ? " (SR.attach starts no GC worker)" : ""}`);
}

async function perVerb() {
  const s = await makeSr("bench-verbs per-verb SR");
  const { sr } = s;
  results.cluster.perVerbNamespace = s.namespace;
  const key = (v) => v.key;

  // Warm the page cache for node and the bundle before anything is timed.
  await callVerb("Plugin.Query", {});
  await run(process.execPath, ["-e", "0"]);

  // Volume.create: these become the plain heads destroyed at the end.
  const plain = [];
  await measureVerb("Volume.create", "Volume.create", (i) => ({ sr, name: `plain-${i}`, description: "bench", size: GiB, sharable: false }), {
    after: (v) => plain.push(v),
  });

  // Untimed set-up: one volume A for the metadata verbs, and heads H_i to snapshot.
  log("set-up: creating the volumes the other verbs work on");
  const [a, ...heads] = (await pool(RUNS + 1, CONCURRENCY, (i) => newVolume(sr, i === 0 ? "A" : `head-${i}`))).map((r) => r.json);

  await measureVerb("SR.stat", "SR.stat", () => ({ sr }));
  await measureVerb("SR.ls", "SR.ls", () => ({ sr }), {
    after: (list) => {
      results.cluster.perVerbSrLsVolumes = list.length;
    },
  });
  await measureVerb("SR.set_name", "SR.set_name", (i) => ({ sr, new_name: `bench-verbs per-verb SR ${i}` }));
  await measureVerb("SR.set_description", "SR.set_description", (i) => ({ sr, new_description: `described ${i}` }));
  await measureVerb("Volume.stat", "Volume.stat", () => ({ sr, key: a.key }));
  await measureVerb("Volume.set", "Volume.set", (i) => ({ sr, key: a.key, k: `bench-key-${i}`, v: `value ${i}` }));
  await measureVerb("Volume.unset", "Volume.unset", (i) => ({ sr, key: a.key, k: `bench-key-${i}` }));
  await measureVerb("Volume.set_name", "Volume.set_name", (i) => ({ sr, key: a.key, new_name: `A renamed ${i}` }));
  await measureVerb("Volume.set_description", "Volume.set_description", (i) => ({ sr, key: a.key, new_description: `A described ${i}` }));
  await measureVerb("Volume.resize", "Volume.resize", (i) => ({ sr, key: a.key, new_size: GiB + (i + 1) * 64 * 1024 * 1024 }));

  // Snapshots S_i of heads H_i (one each), then an untimed second snapshot T_i to clone from,
  // so that the snapshots destroyed later have no clone of their own.
  const snaps = [];
  await measureVerb("Volume.snapshot", "Volume.snapshot", (i) => ({ sr, key: heads[i].key }), { after: (v) => snaps.push(v) });
  log("set-up: second snapshots to clone from");
  const cloneSources = (await pool(heads.length, CONCURRENCY, (i) => callVerb("Volume.snapshot", { sr, key: heads[i].key }))).map((r) => r.json);

  await measureVerb("Volume.clone (of a snapshot)", "Volume.clone", (i) => ({ sr, key: cloneSources[i].key }));
  await measureVerb("Volume.clone (of a writable volume)", "Volume.clone", () => ({ sr, key: a.key }));

  await measureVerb("Volume.destroy (plain head -> trash)", "Volume.destroy", (i) => ({ sr, key: key(plain[i]) }));
  await measureVerb("Volume.destroy (head with snapshots -> tombstone)", "Volume.destroy", (i) => ({ sr, key: key(heads[i]) }));
  await measureVerb("Volume.destroy (snapshot)", "Volume.destroy", (i) => ({ sr, key: key(snaps[i]) }));

  await measureVerb("SR.attach", "SR.attach", () => ({ configuration: s.config }));
  await measureVerb("SR.detach", "SR.detach", () => ({ sr }));

  // SR.create and SR.destroy of empty SRs (attached untimed in between).
  const extra = [];
  await measureVerb("SR.create", "SR.create", () => ({ uuid: randomUUID(), configuration: srConfiguration(), name: "bench-verbs empty SR", description: "created by scripts/bench-verbs.mjs" }), {
    after: (config, _i, params) => {
      const entry = { uuid: params.uuid, config, sr: undefined };
      createdSrs.push(entry);
      extra.push(entry);
    },
  });
  for (const e of extra) e.sr = (await callVerb("SR.attach", { configuration: e.config })).json;
  await measureVerb("SR.destroy (empty SR)", "SR.destroy", (i) => ({ sr: extra[i].sr }), {
    after: (_r, i) => {
      extra[i].destroyed = true;
    },
  });

  let probed = 0;
  const probe = await measureVerb("SR.probe", "SR.probe", () => ({ configuration: srConfiguration() }), {
    after: (list) => {
      probed = list.filter((x) => x.complete && x.sr).length;
    },
  });
  probe.label = `SR.probe (pool holds ${probed} SR${probed === 1 ? "" : "s"})`;
  await measureVerb("Plugin.Query", "Plugin.Query", () => ({}));
  await measureVerb("Plugin.diagnostics", "Plugin.diagnostics", () => ({}));

  // One Ceph CLI call each, for scale.
  const image = imageOf(a);
  await measureCommand("rbd info (1 Ceph CLI call)", "rbd", [...cephArgs(), "info", `${cluster.pool}/${s.namespace}/${image}`]);
  await measureCommand("rados listomapvals (1 Ceph CLI call)", "rados", [...cephArgs(), "--pool", cluster.pool, "--namespace", s.namespace, "listomapvals", "ceph_rbd_sr"]);
  await measureCommand("node -e 0", process.execPath, ["-e", "0"]);
}

// SR.ls and `rbd ls -l` at `count` volumes, interleaved so both see the same machine load.
async function measureListing(sr, namespace, count) {
  const srLs = [];
  const srLsCalls = [];
  const rbdLs = [];
  const omap = [];
  const stat = [];
  let listed;
  let images;
  let srLsBytes;
  let omapBytes;
  for (let i = 0; i < LIST_RUNS; i++) {
    const r = await callVerb("SR.ls", { sr });
    srLs.push(round1(r.ms));
    srLsCalls.push(r.calls);
    listed = r.json.length;
    srLsBytes = JSON.stringify(r.json).length;
    const c = await cephCli("rbd", ["ls", "-l", "--format", "json", `${cluster.pool}/${namespace}`]);
    rbdLs.push(round1(c.ms));
    images = JSON.parse(c.stdout).length;
    // The one Ceph call SR.ls makes, alone: what of SR.ls's growth is the listing itself.
    const o = await cephCli("rados", ["--pool", cluster.pool, "--namespace", namespace, "listomapvals", "ceph_rbd_sr"]);
    omap.push(round1(o.ms));
    omapBytes = o.stdout.length;
    // Volume.stat of one volume: the hot path (xapi calls it before every datapath operation).
    const v = await callVerb("Volume.stat", { sr, key: r.json[i % r.json.length].key });
    stat.push(round1(v.ms));
  }
  if (listed !== count) throw new Error(`SR.ls returned ${listed} volumes, expected ${count}`);
  if (images !== count) throw new Error(`rbd ls -l listed ${images} images, expected ${count}`);
  return {
    volumes: count,
    srLsMs: srLs,
    srLsCalls,
    srLsOutputBytes: srLsBytes,
    rbdLsMs: rbdLs,
    omapListMs: omap,
    omapListOutputBytes: omapBytes,
    srLsMedian: median(srLs),
    rbdLsMedian: median(rbdLs),
    omapListMedian: median(omap),
    volumeStatMs: stat,
    volumeStatMedian: median(stat),
  };
}

async function listingScale() {
  const s = await makeSr("bench-verbs listing SR");
  const listing = { namespace: s.namespace, runs: LIST_RUNS, small: undefined, large: undefined, createMs: [] };
  results.listing = listing;
  const grow = async (from, to) => {
    log(`listing: creating volumes ${from + 1}..${to} (concurrency ${CONCURRENCY})`);
    const t0 = Date.now();
    const made = await pool(to - from, CONCURRENCY, (i) => newVolume(s.sr, `list-${String(from + i + 1).padStart(4, "0")}`), {
      every: 100,
      label: "listing: created",
    });
    for (const r of made) listing.createMs.push(round1(r.ms));
    log(`listing: ${to - from} volumes created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  await grow(0, SMALL);
  listing.small = await measureListing(s.sr, s.namespace, SMALL);
  await grow(SMALL, LARGE);
  listing.large = await measureListing(s.sr, s.namespace, LARGE);
  listing.srLsRatio = ratio(listing.large.srLsMedian, listing.small.srLsMedian);
  listing.rbdLsRatio = ratio(listing.large.rbdLsMedian, listing.small.rbdLsMedian);
  listing.srLsVsRbdLsAtLarge = ratio(listing.large.srLsMedian, listing.large.rbdLsMedian);
}

// ------------------------------------------------------------------------------------ report

// Table order: plugin, SR, then volume verbs (the measuring order is set by what each needs).
const ORDER = ["Plugin.Query", "Plugin.diagnostics", "SR.create", "SR.attach", "SR.stat", "SR.ls", "SR.set_name", "SR.set_description", "SR.probe", "SR.detach", "SR.destroy"];
const rank = (r) => {
  const i = ORDER.indexOf(r.verb);
  return i >= 0 ? i : ORDER.length;
};

function report() {
  console.log("");
  console.log(`## Per-verb cost (${RUNS} runs each; wall time from spawn to exit, in ms)`);
  const ordered = results.verbs.map((r, i) => ({ r, i })).sort((x, y) => rank(x.r) - rank(y.r) || x.i - y.i).map((x) => x.r);
  const rows = ordered.map((r) => {
    const st = r.ms.length ? summary(r.ms) : undefined;
    const calls = r.calls.filter((c) => c !== undefined);
    const lo = calls.length ? Math.min(...calls) : undefined;
    const hi = calls.length ? Math.max(...calls) : undefined;
    Object.assign(r, st ? { median: st.median, min: st.min, max: st.max } : {}, calls.length ? { cephCallsMedian: median(calls) } : {});
    const callText = lo === undefined ? "-" : lo === hi ? String(lo) : `${lo}-${hi}`;
    return [r.label + (r.error ? " FAILED" : r.ms.length < r.n ? ` (${r.ms.length}/${r.n})` : ""), st ? fmt(st.median) : "-", st ? fmt(st.min) : "-", st ? fmt(st.max) : "-", callText];
  });
  console.log(table(["verb", "median ms", "min", "max", "Ceph calls"], rows, ["l", "r", "r", "r", "r"]));
  console.log("");
  console.log("## For comparison (same run)");
  const brows = results.baselines.map((r) => {
    const st = r.ms.length ? summary(r.ms) : undefined;
    if (st) Object.assign(r, st);
    return [r.label + (r.error ? " FAILED" : ""), st ? fmt(st.median) : "-", st ? fmt(st.min) : "-", st ? fmt(st.max) : "-"];
  });
  console.log(table(["command", "median ms", "min", "max"], brows, ["l", "r", "r", "r"]));
  for (const r of results.baselines) console.log(`  ${r.label}: ${r.command}`);

  const l = results.listing;
  console.log("");
  console.log(`## Listing scale (median of ${LIST_RUNS} runs each; SR.ls, rbd ls -l, rados listomapvals and Volume.stat interleaved, same images)`);
  if (!l?.small) {
    console.log("(not measured)");
  } else {
    const kib = (b) => (b === undefined ? "-" : `${Math.round(b / 1024)} KiB`);
    const callRange = (xs) => (xs.length ? `${Math.min(...xs)}${Math.min(...xs) !== Math.max(...xs) ? `-${Math.max(...xs)}` : ""}` : "-");
    const line = (x) => [String(x.volumes), fmt(x.srLsMedian), callRange(x.srLsCalls), kib(x.srLsOutputBytes), fmt(x.rbdLsMedian), fmtRatio(ratio(x.srLsMedian, x.rbdLsMedian)), fmt(x.omapListMedian), kib(x.omapListOutputBytes), fmt(x.volumeStatMedian)];
    const lrows = [l.small, l.large].filter(Boolean).map(line);
    console.log(table(["volumes", "SR.ls ms", "Ceph calls", "SR.ls output", "rbd ls -l ms", "SR.ls / rbd ls -l", "listomapvals ms", "listomapvals output", "Volume.stat ms"], lrows, ["r", "r", "r", "r", "r", "r", "r", "r", "r"]));
    if (l.large) {
      console.log(`SR.ls         ${LARGE} vs ${SMALL} volumes: ${fmtRatio(l.srLsRatio)} (goal <= 1.5x)`);
      console.log(`rbd ls -l     ${LARGE} vs ${SMALL} images:  ${fmtRatio(l.rbdLsRatio)}`);
      console.log(`listomapvals  ${LARGE} vs ${SMALL} volumes: ${fmtRatio(ratio(l.large.omapListMedian, l.small.omapListMedian))} (the one Ceph call of SR.ls, run alone)`);
      console.log(`Volume.stat   ${LARGE} vs ${SMALL} volumes: ${fmtRatio(ratio(l.large.volumeStatMedian, l.small.volumeStatMedian))} (one volume, in the same SR)`);
      console.log(`SR.ls vs rbd ls -l at ${LARGE}: ${fmtRatio(l.srLsVsRbdLsAtLarge)}`);
    }
    if (l.createMs.length) {
      const c = summary(l.createMs);
      console.log(`Volume.create while filling (concurrency ${CONCURRENCY}, ${l.createMs.length} calls): median ${fmt(c.median)} ms, min ${fmt(c.min)}, max ${fmt(c.max)}`);
      if (l.createMs.length >= 200) {
        const first = median(l.createMs.slice(0, 100));
        const last = median(l.createMs.slice(-100));
        console.log(`  first 100 creates: median ${fmt(first)} ms; last 100: median ${fmt(last)} ms (${fmtRatio(ratio(last, first))})`);
      }
    }
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
    // Second signal: no more patience for clean-ups through the verbs.
    for (const c of live) c.kill("SIGKILL");
    process.exit(130); // the exit handler takes the cluster down
  }
  log(`${sig}: stopping (send it again to quit at once)`);
  for (const c of live) c.kill("SIGTERM");
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));
process.on("exit", () => {
  clusterDown();
  removeBuildCopy();
});

async function main() {
  const t0 = Date.now();
  try {
    snapshotBuild();
  } catch (e) {
    log(e.message);
    process.exit(1);
  }
  header();
  try {
    await clusterUp();
    results.cluster.throwaway = cluster.throwaway;
    results.cluster.pool = cluster.pool;
    console.log(`cluster:  ${cluster.throwaway ? `throwaway (scripts/ceph-local.sh, port ${cluster.port})` : `existing (${cluster.conf})`}, pool ${cluster.pool}`);
    try {
      await perVerb();
    } catch (e) {
      fail("per-verb phase", e);
    }
    if (!interrupted) {
      try {
        await listingScale();
      } catch (e) {
        fail("listing phase", e);
      }
    }
  } catch (e) {
    fail("set-up", e);
  } finally {
    report();
    if (build.volumeDir) {
      if (!cluster.throwaway && cluster.conf) await destroySrs();
      else await detachSrs();
    }
    clusterDown();
    removeBuildCopy();
    reportFailures();
  }
  results.seconds = Math.round((Date.now() - t0) / 1000);
  writeJson();
  log(`done in ${results.seconds} s`);
  if (results.failures.length > 0 || interrupted) process.exitCode = interrupted ? 130 : 1;
}

await main();
