// What reverting a disk to its snapshot costs, three ways, against a real Ceph cluster:
//   - native:   Volume.revert (a clone of the snapshot becomes the volume's image: one omap write);
//   - rollback: `rbd snap rollback` (rewrites the image in place);
//   - old flow: what xapi does without VDI_REVERT (XCP-ng 8.3): Volume.destroy of the disk, then
//               Volume.clone of its snapshot, then someone has to `rbd flatten` that clone (it is
//               chained to a tombstone); timed as destroy + clone + flatten.
// Verbs run as xapi-storage-script runs them (`<Verb> --json`, params on stdin) and are timed from
// spawn to exit; Ceph CLIs likewise.
//
//   node scripts/bench-revert.mjs [--quick] [--runs N] [--runs-4g N] [--verify auto|full|sparse]
//                                 [--json-out FILE] [--sizes GiB,...] [--data MiB,...]
//
// Matrix: virtual size 1, 4, 16, 64 GiB x data written after the snapshot D = 256 MiB, 4 GiB x two
// SRs (default image features, with object-map; `image_features=layering,exclusive-lock`, without,
// as for XCP-ng 8.3's kernel RBD). Each run uses a fresh volume: Volume.create; write D
// (`rbd bench`, sequential 4 MiB writes from offset 0); Volume.snapshot; write D again over the
// same range; then the method alone is timed. D is capped at the virtual size (a 1 GiB image gets
// 1 GiB in the D = 4 GiB row; `rbd bench` would wrap around and rewrite the same objects).
// `rbd bench` fills every write with the same byte, so the snapshot and the head would hold equal
// data; small random markers (64 KiB at offset 0 before the snapshot, at 0 and at the end of the
// image after it) make them differ, so the checksums prove something.
//
// Correctness, once per cell for native and rollback, untimed: the volume after the method must
// hold exactly the snapshot's content, and (where at most 1 GiB was written) the head before it
// must not. Digests: `rbd export --no-progress SPEC -` into SHA-256 (--verify full); or, for large
// images (exporting 64 GiB of mostly zeroes through a pipe takes minutes), a sparse digest from
// `rbd export-diff` (SHA-256 over the size and every non-zero 4 MiB block with its index: equal
// iff the content is equal).
// --verify auto (default): full at 1 GiB (where a full export costs a few seconds), sparse above;
// outside --quick both at 1 GiB, which cross-checks the sparse digest.
//
// After each run the volumes are destroyed through the verbs; what the SR keeps of them
// (tombstones, the RBD trash) is then removed with rbd directly, so the OSD does not fill up. The
// plugin's GC is kept out of the way (CEPH_RBD_GC=off for the verbs, so SR.attach starts no
// worker): its passes would run at random moments and flatten the old flow's clone themselves. The checksums and that clean-up overlap the next run's untimed set-up; the
// next timing waits for them and, after runs that wrote 1 GiB or more, until the pool's stored
// bytes have come down (the OSD trims in the background), so timings compete with neither.
//
// With CEPH_CONF set it uses that cluster (pool CEPH_POOL, default rbd; cephx id CEPH_CLIENT_ID,
// default admin) and destroys its SRs at the end. Otherwise it starts a throwaway cluster with
// scripts/ceph-local.sh (60 GB OSD) and removes it at the end, also on failure or SIGINT.
// Tables and goal checks go to stdout, progress to stderr. Speed figures never make it fail; a
// failing verb, command or checksum does (exit 1).
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");
const VOLUME_DIR = join(root, "plugins/volume/org.xen.xapi.storage.ceph-rbd");
const CEPH_LOCAL = join(root, "scripts/ceph-local.sh");
const PROG = "bench-revert";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// ------------------------------------------------------------------------------------ options

const usage = (code = 2) => {
  process.stderr.write(
    [
      "usage: node scripts/bench-revert.mjs [--quick] [--runs N] [--runs-4g N] [--verify auto|full|sparse] [--json-out FILE]",
      "  --quick       1 and 4 GiB, D = 256 MiB only, 1 run, both SRs (a smoke run)",
      "  --runs N      runs per cell and method (default 3; the median is reported, with min and max)",
      "  --runs-4g N   runs for the D = 4 GiB rows (default: --runs)",
      "  --verify M    checksum method: full (rbd export | sha256), sparse (rbd export-diff), auto (default)",
      "  --json-out F  write every raw timing to F",
      "  --sizes LIST  virtual sizes in GiB instead of the matrix's, e.g. 16,64 (partial runs)",
      "  --data LIST   D values in MiB instead of the matrix's, e.g. 4096 (partial runs)",
      "",
    ].join("\n"),
  );
  process.exit(code);
};
const opts = { quick: false, runs: undefined, runs4g: undefined, verify: "auto", jsonOut: undefined, sizes: undefined, data: undefined };
{
  const argv = process.argv.slice(2);
  const value = (i, name) => {
    const v = argv[i];
    if (v === undefined || v.startsWith("--")) {
      process.stderr.write(`${PROG}: ${name} needs a value\n`);
      usage();
    }
    return v;
  };
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
    const val = () => inline ?? value(++i, a);
    if (a === "--quick") opts.quick = true;
    else if (a === "--runs") opts.runs = count(val(), a);
    else if (a === "--runs-4g") opts.runs4g = count(val(), a);
    else if (a === "--verify") {
      opts.verify = val();
      if (!["auto", "full", "sparse"].includes(opts.verify)) usage();
    } else if (a === "--json-out") opts.jsonOut = val();
    else if (a === "--sizes" || a === "--data") {
      const list = val()
        .split(",")
        .map((x) => count(x.trim(), a));
      if (a === "--sizes") opts.sizes = list;
      else opts.data = list;
    }
    else if (a === "--help" || a === "-h") usage(0);
    else {
      process.stderr.write(`${PROG}: unknown argument ${argv[i]}\n`);
      usage();
    }
  }
}
const SIZES_GIB = opts.sizes ?? (opts.quick ? [1, 4] : [1, 4, 16, 64]);
const DATA_MIB = opts.data ?? (opts.quick ? [256] : [256, 4096]);
const RUNS = opts.runs ?? (opts.quick ? 1 : 3);
const RUNS_4G = opts.runs4g ?? RUNS;
const runsFor = (dataMiB) => (dataMiB >= 4096 ? RUNS_4G : RUNS);
const METHODS = ["native", "rollback", "oldflow"];
const METHOD_LABEL = { native: "native revert", rollback: "rbd snap rollback", oldflow: "old flow (destroy+clone, flatten)" };
const MARKER = 64 * 1024;
const BLOCK = 4 * MiB; // sparse digest block (the RBD object size)
const CMD_DEADLINE_MS = 20 * 60 * 1000;

const log = (msg) => process.stderr.write(`${PROG}: ${msg}\n`);

// ------------------------------------------------------------------------------------ processes

const live = new Set();
let interrupted = false;

// Runs a program with an argument array (no shell); `ms` is the wall time from spawn to exit.
// `onStdout`, if given, receives stdout instead of it being collected.
function run(cmd, args, { input, env, onStdout, deadlineMs = CMD_DEADLINE_MS } = {}) {
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
      const stderr = Buffer.concat(err).toString("utf8");
      resolve({ code, signal, ms, timedOut, stdout: Buffer.concat(out).toString("utf8"), stderr: timedOut ? `${stderr}\n(killed after ${deadlineMs / 1000} s)` : stderr });
    });
    if (input !== undefined) {
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    }
  });
}

class CommandError extends Error {}

// CEPH_RBD_GC=off: SR.attach starts no GC worker, whose passes would compete with the timings (and
// flatten the old flow's clone on their own); the script removes what runs leave itself.
const verbEnv = () => ({ ...childEnv(), CEPH_RBD_LOG_STDERR: "info", CEPH_RBD_LOG_SYSLOG: "off", CEPH_RBD_GC: "off" });
const COST = /\] (\S+) (ok|failed) in (\d+) ms, (\d+) Ceph calls/;

// One verb call, as xapi-storage-script makes it; throws CommandError with what the verb printed.
async function callVerb(verb, params, { ignoreInterrupt = false } = {}) {
  if (interrupted && !ignoreInterrupt) throw new CommandError("interrupted");
  const path = join(VOLUME_DIR, verb);
  const r = await run(path, ["--json"], { input: JSON.stringify({ dbg: `bench-revert-${verb}`, ...params }), env: verbEnv() });
  const m = COST.exec(r.stderr);
  if (r.code !== 0) {
    throw new CommandError(`${verb} ${JSON.stringify(params)} exited ${r.code ?? r.signal}: stdout ${r.stdout.trim().slice(0, 1500) || "(empty)"}; stderr ${r.stderr.trim().slice(-1500) || "(empty)"}`);
  }
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new CommandError(`${verb} printed no JSON on stdout: ${r.stdout.slice(0, 500)}`);
  }
  return { ms: r.ms, calls: m ? Number(m[4]) : undefined, json };
}

// The Ceph CLIs: the conf and cephx id the SRs use.
const cephArgs = () => ["--conf", cluster.conf, "--id", cluster.user];
// Untimed bulk work (checksums, removing what runs leave) may use more parallel RADOS ops than
// librbd's default 10: removing a 64 GiB image without object-map means 16384 object deletions.
// Timed commands (rollback, flatten) keep Ceph's defaults.
const BULK = ["--rbd-concurrent-management-ops", "64"];
async function cephCli(tool, args, extra = {}) {
  if (interrupted && !extra.ignoreInterrupt) throw new CommandError("interrupted");
  const full = tool === "ceph" ? [...cephArgs(), "--connect-timeout", "60", ...args] : [...cephArgs(), ...args];
  const r = await run(tool, full, extra);
  if (r.code !== 0) throw new CommandError(`${tool} ${args.join(" ")} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-1500)}`);
  return r;
}

// ------------------------------------------------------------------------------------ statistics

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x) => Math.round(x * 10) / 10;
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const sec = (ms) => (!Number.isFinite(ms) ? "-" : ms >= 10000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2));
const fmtRatio = (x) => (Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x.toFixed(x >= 10 ? 1 : 2)}x` : "-");
const sizeText = (mib) => (mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`);

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

// A random multiple of 20 in 23000..23980 whose PORT..PORT+199 (mon, mgr, OSD) looks unused.
function pickPort(avoid) {
  const busy = listeningPorts();
  const candidates = [];
  for (let p = 23000; p <= 23980; p += 20) {
    if (avoid.has(p)) continue;
    let free = true;
    for (let q = p; q < p + 200 && free; q++) if (busy.has(q)) free = false;
    if (free) candidates.push(p);
  }
  const from = candidates.length > 0 ? candidates : Array.from({ length: 50 }, (_, i) => 23000 + i * 20).filter((p) => !avoid.has(p));
  return from[Math.floor(Math.random() * from.length)];
}

const cluster = { throwaway: false, dir: undefined, port: undefined, conf: undefined, pool: undefined, user: undefined };

// Children see CEPH_CONF only: with a throwaway cluster, a CEPH_KEYRING or CEPH_ARGS inherited
// from the caller would be read by Ceph itself and beat the conf's keyring.
function childEnv() {
  const env = { ...process.env };
  if (cluster.throwaway) {
    delete env.CEPH_KEYRING;
    delete env.CEPH_ARGS;
  }
  if (cluster.conf) env.CEPH_CONF = cluster.conf;
  return env;
}

function clusterDown() {
  if (!cluster.throwaway || !cluster.dir) return;
  const dir = cluster.dir;
  cluster.dir = undefined;
  log(`removing the throwaway cluster in ${dir}`);
  const env = { ...process.env, CEPH_LOCAL_PORT: String(cluster.port) };
  delete env.CEPH_KEYRING;
  delete env.CEPH_ARGS;
  const r = spawnSync("bash", [CEPH_LOCAL, "down", dir], { stdio: ["ignore", "ignore", "inherit"], env });
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
    const dir = mkdtempSync(join(tmpdir(), "bench-revert-ceph-"));
    cluster.dir = dir;
    cluster.port = port;
    log(`starting a throwaway cluster in ${dir} (CEPH_LOCAL_PORT=${port}, CEPH_LOCAL_OSD_GB=60)`);
    const env = { ...process.env, CEPH_LOCAL_PORT: String(port), CEPH_LOCAL_OSD_GB: "60" };
    delete env.CEPH_ARGS;
    delete env.CEPH_KEYRING;
    delete env.CEPH_CONF;
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
      // Only CEPH_CONF is used (and given to children); CEPH_KEYRING is deliberately ignored.
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

// ------------------------------------------------------------------------------------ data

const parseUri = (uri) => {
  const m = /^([a-z+]+):\/\/([^/?]+)\/([^/?]*)\/([^/?]+)\?(.*)$/.exec(uri ?? "");
  if (!m) throw new Error(`not a ceph-rbd volume URI: ${uri}`);
  const q = new URLSearchParams(m[5]);
  return { pool: decodeURIComponent(m[2]), namespace: decodeURIComponent(m[3]), image: decodeURIComponent(m[4]), snap: q.get("snap") ?? undefined };
};
const specOf = (uri) => {
  const p = parseUri(uri);
  return `${p.pool}/${p.namespace}/${p.image}${p.snap ? `@${p.snap}` : ""}`;
};

// Sequential 4 MiB writes from offset 0, 16 in flight (rbd bench fills them all with one byte).
async function rbdWrite(spec, bytes) {
  const r = await cephCli("rbd", ["bench", "--io-type", "write", "--io-size", "4M", "--io-threads", "16", "--io-total", String(bytes), "--io-pattern", "seq", spec]);
  return round1(r.ms);
}

// Random bytes at `offset`, written through librbd with `rbd import-diff` (a one-extent diff
// stream with no snapshot records, so nothing but the data changes).
async function writeMarker(spec, offset) {
  const data = randomBytes(MARKER);
  const head = Buffer.alloc(17);
  head.write("w", 0, "latin1");
  head.writeBigUInt64LE(BigInt(offset), 1);
  head.writeBigUInt64LE(BigInt(MARKER), 9);
  const stream = Buffer.concat([Buffer.from("rbd diff v1\n", "latin1"), head, data, Buffer.from("e", "latin1")]);
  const r = await cephCli("rbd", ["import-diff", "--no-progress", "-", spec], { input: stream });
  return round1(r.ms);
}

// SHA-256 of everything a reader sees: `rbd export --no-progress SPEC -`.
async function fullDigest(spec, expectBytes) {
  const hash = createHash("sha256");
  let bytes = 0;
  const r = await cephCli("rbd", [...BULK, "export", "--no-progress", spec, "-"], {
    onStdout: (out) =>
      out.on("data", (d) => {
        bytes += d.length;
        hash.update(d);
      }),
  });
  if (bytes !== expectBytes) throw new CommandError(`rbd export ${spec} gave ${bytes} bytes, expected ${expectBytes}`);
  return { method: "full", digest: hash.digest("hex"), ms: round1(r.ms), bytes };
}

// Pulls exact byte counts out of a stream.
function byteReader(stream) {
  const it = stream[Symbol.asyncIterator]();
  let buf = Buffer.alloc(0);
  let ended = false;
  const fill = async () => {
    if (ended) return false;
    const { value, done } = await it.next();
    if (done) {
      ended = true;
      return false;
    }
    buf = buf.length ? Buffer.concat([buf, value]) : value;
    return true;
  };
  return {
    async exact(n) {
      while (buf.length < n) if (!(await fill())) throw new Error(`stream ended ${n - buf.length} byte(s) short`);
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      return out;
    },
    async *take(n) {
      while (n > 0) {
        if (buf.length === 0 && !(await fill())) throw new Error(`stream ended ${n} byte(s) short`);
        const k = Math.min(n, buf.length);
        yield buf.subarray(0, k);
        buf = buf.subarray(k);
        n -= k;
      }
    },
    async drain() {
      while (await fill()) buf = Buffer.alloc(0);
    },
    // Stops reading: the stream is destroyed, so the child's stdout closes.
    async close() {
      buf = Buffer.alloc(0);
      await it.return?.();
    },
  };
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);

// Content digest from `rbd export-diff SPEC -` (v1 stream: "rbd diff v1\n", then records f/t
// name, s size, w offset+length+data, z offset+length, e end), reading only allocated data:
// SHA-256 over "size\n" and, for each 4 MiB block holding a non-zero byte, its index and its
// bytes. Unlisted ranges read as zeroes, so two images get the same digest iff they hold the
// same bytes (as `rbd export` would show them) and have the same size.
async function sparseDigest(spec, expectBytes) {
  const hash = createHash("sha256");
  let size;
  let dataBytes = 0;
  let parseError;
  const block = Buffer.alloc(BLOCK);
  let cur = -1; // index of the block in `block`
  let last = -1; // end of the last extent, extents must come in order
  const flush = () => {
    if (cur >= 0 && !block.equals(ZERO_BLOCK)) {
      const idx = Buffer.alloc(8);
      idx.writeBigUInt64LE(BigInt(cur));
      hash.update(idx);
      hash.update(block);
    }
  };
  const moveTo = (b) => {
    if (b === cur) return;
    if (b < cur) throw new Error(`export-diff extents out of order (block ${b} after ${cur})`);
    flush();
    block.fill(0);
    cur = b;
  };
  const parse = async (stdout, child) => {
    const rd = byteReader(stdout);
    try {
      const magic = (await rd.exact(12)).toString("latin1");
      if (magic !== "rbd diff v1\n") throw new Error(`unexpected export-diff header ${JSON.stringify(magic)}`);
      for (;;) {
        const tag = String.fromCharCode((await rd.exact(1))[0]);
        if (tag === "e") break;
        if (tag === "f" || tag === "t") {
          const n = (await rd.exact(4)).readUInt32LE(0);
          await rd.exact(n);
        } else if (tag === "s") {
          size = Number((await rd.exact(8)).readBigUInt64LE(0));
          hash.update(`rbd-sparse-digest-v1 size=${size}\n`);
        } else if (tag === "w" || tag === "z") {
          const h = await rd.exact(16);
          let off = Number(h.readBigUInt64LE(0));
          const len = Number(h.readBigUInt64LE(8));
          if (size === undefined) throw new Error("export-diff extent before the size record");
          if (off < last) throw new Error(`export-diff extents out of order (${off} after ${last})`);
          if (off + len > size) throw new Error(`export-diff extent ${off}+${len} beyond the size ${size}`);
          last = off + len;
          if (tag === "w") {
            dataBytes += len;
            for await (const piece of rd.take(len)) {
              let p = 0;
              while (p < piece.length) {
                const b = Math.floor(off / BLOCK);
                moveTo(b);
                const at = off - b * BLOCK;
                const k = Math.min(piece.length - p, BLOCK - at);
                piece.copy(block, at, p, p + k);
                p += k;
                off += k;
              }
            }
          } else {
            // Zeroes: clear the part of the current block they cover (later blocks start zeroed).
            const end = off + len;
            if (cur >= 0 && off < (cur + 1) * BLOCK && end > cur * BLOCK) block.fill(0, Math.max(off - cur * BLOCK, 0), Math.min(end - cur * BLOCK, BLOCK));
          }
        } else {
          throw new Error(`unknown export-diff record '${tag}'`);
        }
      }
      flush();
      await rd.drain();
    } catch (e) {
      parseError = e;
      child.kill("SIGKILL");
      await rd.close().catch(() => undefined);
    }
  };
  let parsing;
  const r = await run("rbd", [...cephArgs(), ...BULK, "export-diff", "--no-progress", spec, "-"], {
    onStdout: (out, child) => {
      parsing = parse(out, child);
    },
  });
  await parsing;
  if (parseError) throw new CommandError(`rbd export-diff ${spec}: ${parseError.message}`);
  if (r.code !== 0) throw new CommandError(`rbd export-diff ${spec} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-1500)}`);
  if (size !== expectBytes) throw new CommandError(`rbd export-diff ${spec}: size ${size}, expected ${expectBytes}`);
  return { method: "sparse", digest: hash.digest("hex"), ms: round1(r.ms), bytes: dataBytes };
}

// Which digests a cell's check uses.
function digestMethods(sizeGiB) {
  if (opts.verify === "full") return ["full"];
  if (opts.verify === "sparse") return ["sparse"];
  if (sizeGiB > 1) return ["sparse"];
  return opts.quick ? ["full"] : ["full", "sparse"];
}
const digest = (method, spec, bytes) => (method === "full" ? fullDigest(spec, bytes) : sparseDigest(spec, bytes));

// ------------------------------------------------------------------------------------ results

const results = {
  started: new Date().toISOString(),
  mode: opts.quick ? "quick" : "full",
  options: { runs: RUNS, runs4g: RUNS_4G, verify: opts.verify, sizesGiB: SIZES_GIB, dataMiB: DATA_MIB },
  machine: {},
  cluster: {},
  srs: {},
  runs: [],
  checks: [],
  failures: [],
};

const fail = (what, e) => {
  const message = e instanceof Error ? e.message : String(e);
  results.failures.push({ what, error: message });
  log(`FAILED: ${what}: ${message}`);
};

// ------------------------------------------------------------------------------------ SRs

const SR_KINDS = [
  { id: "om", label: "default features (object-map, fast-diff)", extra: {} },
  { id: "no", label: "image_features=layering,exclusive-lock (no object-map)", extra: { image_features: "layering,exclusive-lock" } },
];
const srs = {};

const srConfiguration = (extra) => ({ pool: cluster.pool, conf: cluster.conf, ...(cluster.user !== "admin" ? { user: cluster.user } : {}), ...extra });

async function makeSr(kind) {
  const uuid = randomUUID();
  const created = await callVerb("SR.create", { uuid, configuration: srConfiguration(kind.extra), name: `bench-revert ${kind.id}`, description: `created by scripts/bench-revert.mjs: ${kind.label}` });
  const config = created.json;
  const entry = { kind: kind.id, uuid, config, sr: undefined, namespace: config.namespace, checkedFeatures: false };
  srs[kind.id] = entry;
  entry.sr = (await callVerb("SR.attach", { configuration: config })).json;
  results.srs[kind.id] = { uuid, namespace: entry.namespace, configuration: config, label: kind.label };
  log(`SR ${kind.id}: ${kind.label}, namespace ${entry.namespace}`);
  return entry;
}

// What a run leaves behind once its volumes are destroyed (tombstones, the RBD trash: the build
// has no GC yet, so each run would leave up to 3 D) goes, with rbd directly. Only the run's own
// images are touched (by name), so this can overlap the next run's set-up in the same SR.
async function sweepImages(s, images) {
  const ns = `${cluster.pool}/${s.namespace}`;
  const opt = { ignoreInterrupt: true };
  const present = new Set(JSON.parse((await cephCli("rbd", ["ls", "--format", "json", ns], opt)).stdout || "[]"));
  for (const image of images) {
    if (!present.has(image)) continue;
    const snaps = JSON.parse((await cephCli("rbd", ["snap", "ls", "--all", "--format", "json", `${ns}/${image}`], opt)).stdout || "[]");
    for (const sn of snaps) {
      if (sn.namespace?.type === undefined || sn.namespace.type === "user") await cephCli("rbd", ["snap", "rm", "--no-progress", `${ns}/${image}@${sn.name}`], opt);
    }
    await cephCli("rbd", ["trash", "mv", `${ns}/${image}`], opt);
  }
  let removed = 0;
  for (let round = 0; round < 16; round++) {
    const trash = JSON.parse((await cephCli("rbd", ["trash", "ls", "--all", "--format", "json", ns], opt)).stdout || "[]").filter((t) => images.has(t.name));
    if (trash.length === 0) return removed;
    let progress = false;
    for (const t of trash) {
      const r = await run("rbd", [...cephArgs(), ...BULK, "trash", "rm", "--no-progress", "--force", `${ns}/${t.id}`]);
      if (r.code === 0) {
        progress = true;
        removed++;
      }
    }
    if (!progress) throw new CommandError(`${trash.length} trash image(s) of ${ns} cannot be removed: ${trash.map((t) => t.name).join(", ")}`);
  }
  throw new CommandError(`trash of ${ns} still holds images of the run after 16 rounds`);
}

async function poolStored() {
  const r = await cephCli("ceph", ["df", "--format", "json"], { ignoreInterrupt: true });
  const p = JSON.parse(r.stdout).pools?.find((x) => x.name === cluster.pool);
  return p?.stats?.stored ?? NaN;
}

// Waits until the pool's stored bytes come down to what the next run holds (the OSD trims removed
// images and snapshots in the background; the next timing should not compete with it), or stop
// changing, or 2 minutes have passed.
let baselineStored = NaN;
async function settle(holdBytes) {
  const t0 = Date.now();
  const target = baselineStored + holdBytes + 64 * MiB;
  let prev = NaN;
  let same = 0;
  let v = NaN;
  while (Date.now() - t0 < 120000) {
    v = await poolStored();
    if (v <= target) break;
    same = v === prev ? same + 1 : 0;
    if (same >= 3) break;
    prev = v;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { ms: Date.now() - t0, storedMiB: round1(v / MiB), targetMiB: round1(target / MiB) };
}

// ------------------------------------------------------------------------------------ one run

// A fresh volume with D written, a snapshot, D written again (untimed).
// `ctx` is filled as things are made, so a failure leaves what to clean up in it.
const newContext = (rec, s, tag) => ({ rec, s, tag, size: rec.sizeGiB * GiB, keys: { vol: undefined, clone: undefined, snap: undefined }, images: new Set() });
async function setUp(ctx) {
  const { rec, s, tag, size } = ctx;
  const written = rec.writtenMiB * MiB;
  const created = await callVerb("Volume.create", { sr: s.sr, name: `bench-revert ${tag}`, description: "", size, sharable: false });
  const vol = created.json;
  ctx.keys.vol = vol.key;
  ctx.volKey = vol.key;
  rec.setup.createMs = round1(created.ms);
  ctx.spec = specOf(vol.uri[0]);
  rec.image = parseUri(vol.uri[0]).image;
  ctx.images.add(rec.image);
  if (!s.checkedFeatures) {
    const info = JSON.parse((await cephCli("rbd", ["info", "--format", "json", ctx.spec])).stdout);
    const hasOm = (info.features ?? []).includes("object-map");
    results.srs[s.kind].imageFeatures = info.features;
    if (hasOm !== (s.kind === "om")) throw new CommandError(`SR ${s.kind}: new image ${ctx.spec} has features ${info.features?.join(",")}, expected ${s.kind === "om" ? "object-map" : "no object-map"}`);
    s.checkedFeatures = true;
  }
  rec.setup.write1Ms = await rbdWrite(ctx.spec, written);
  rec.setup.marker1Ms = await writeMarker(ctx.spec, 0);
  const snapped = await callVerb("Volume.snapshot", { sr: s.sr, key: vol.key });
  ctx.snap = snapped.json;
  ctx.keys.snap = ctx.snap.key;
  rec.setup.snapshotMs = round1(snapped.ms);
  ctx.snapSpec = specOf(ctx.snap.uri[0]);
  if (!ctx.snapSpec.includes("@")) throw new CommandError(`Volume.snapshot returned a URI without snap=: ${ctx.snap.uri[0]}`);
  rec.setup.write2Ms = await rbdWrite(ctx.spec, written);
  rec.setup.marker2Ms = round1((await writeMarker(ctx.spec, 0)) + (await writeMarker(ctx.spec, size - MARKER)));
}

// The head's own digest before the method (untimed) proves the check is not void (the snapshot
// and the head differ). It costs a third of the checking; the set-up is the same whatever D, so
// it is taken where at most 1 GiB was written.
async function headDigests(ctx) {
  ctx.before = {};
  if (ctx.rec.writtenMiB > 1024) return;
  for (const m of digestMethods(ctx.rec.sizeGiB)) ctx.before[m] = await digest(m, ctx.spec, ctx.size);
}

// The timed part.
async function timed(ctx) {
  const { rec, s, tag } = ctx;
  rec.load1 = Math.round(loadavg()[0] * 100) / 100;
  if (rec.method === "native") {
    const r = await callVerb("Volume.revert", { sr: s.sr, key: ctx.volKey, snapshot: ctx.snap.key });
    rec.ms = round1(r.ms);
    rec.cephCalls = r.calls;
  } else if (rec.method === "rollback") {
    const r = await cephCli("rbd", ["snap", "rollback", "--no-progress", ctx.snapSpec]);
    rec.ms = round1(r.ms);
  } else {
    const d = await callVerb("Volume.destroy", { sr: s.sr, key: ctx.volKey });
    ctx.keys.vol = undefined;
    const c = await callVerb("Volume.clone", { sr: s.sr, key: ctx.snap.key });
    ctx.keys.clone = c.json.key;
    const cloneSpec = specOf(c.json.uri[0]);
    ctx.images.add(parseUri(c.json.uri[0]).image);
    const f = await cephCli("rbd", ["flatten", "--no-progress", cloneSpec]);
    rec.parts = { destroyMs: round1(d.ms), cloneMs: round1(c.ms), flattenMs: round1(f.ms) };
    rec.ms = round1(d.ms + c.ms + f.ms);
  }
  log(`${tag}: ${sec(rec.ms)} s${rec.parts ? ` (destroy ${sec(rec.parts.destroyMs)} + clone ${sec(rec.parts.cloneMs)} + flatten ${sec(rec.parts.flattenMs)})` : ""}`);
}

// Untimed, after the method (overlapping the next run's set-up): where the volume now is, and the
// checksums.
async function afterwards(ctx, verify) {
  const { rec, s, tag, size } = ctx;
  let afterSpec = ctx.spec;
  if (rec.method === "native") {
    // The volume now reads another image: ask the plugin which.
    const now = (await callVerb("Volume.stat", { sr: s.sr, key: ctx.volKey })).json;
    afterSpec = specOf(now.uri[0]);
    rec.imageAfter = parseUri(now.uri[0]).image;
    ctx.images.add(rec.imageAfter);
    if (now.key !== ctx.volKey) fail(`Volume.stat after revert ${tag}`, new Error(`key changed: ${ctx.volKey} -> ${now.key}`));
    if (rec.imageAfter === rec.image) log(`${tag}: note: the volume still reads ${rec.image} after Volume.revert`);
  }
  const methods = digestMethods(rec.sizeGiB);
  const before = ctx.before ?? {};
  if (!verify) return;
  const v = { volumeBefore: ctx.spec, volumeAfter: afterSpec, snapshot: ctx.snapSpec, digests: [] };
  let good = true;
  for (const m of methods) {
    const after = await digest(m, afterSpec, size);
    const sn = await digest(m, ctx.snapSpec, size);
    const b = before[m];
    const d = { method: m, headBefore: b?.digest, volumeAfter: after.digest, snapshot: sn.digest, ms: round1((b?.ms ?? 0) + after.ms + sn.ms) };
    d.match = after.digest === sn.digest;
    if (b) d.headDiffered = b.digest !== sn.digest;
    v.digests.push(d);
    if (!d.match || d.headDiffered === false) good = false;
    log(`${tag}: ${m} digest: volume ${after.digest.slice(0, 12)}, snapshot ${sn.digest.slice(0, 12)}${b ? `, head before ${b.digest.slice(0, 12)}` : ""}: ${d.match ? "match" : "MISMATCH"}${d.headDiffered === false ? " (the head already equalled the snapshot: check void)" : ""}`);
  }
  v.ok = good;
  rec.verify = v;
  if (!good) {
    const detail = v.digests.map((d) => `${d.method}: volume ${d.volumeAfter}, snapshot ${d.snapshot}, head before ${d.headBefore ?? "(not taken)"}`).join("; ");
    fail(`checksum ${tag}`, new Error(`${v.digests.some((d) => !d.match) ? "the volume after the method differs from the snapshot" : "the head already held the snapshot's content (check void)"} (volume ${afterSpec}, snapshot ${ctx.snapSpec}): ${detail}`));
  }
}

// Volume.destroy of the volume, clone and snapshot, then the sweep; never throws.
async function cleanUp(ctx) {
  const { rec, s, tag } = ctx;
  const t0 = Date.now();
  for (const which of ["vol", "clone", "snap"]) {
    if (!ctx.keys[which]) continue;
    try {
      await callVerb("Volume.destroy", { sr: s.sr, key: ctx.keys[which] }, { ignoreInterrupt: true });
    } catch (e) {
      rec.cleanupError = e.message;
      fail(`Volume.destroy of the ${which === "vol" ? "volume" : which} after ${tag}`, e);
    }
  }
  if (rec.cleanupError) {
    // A volume the plugin still lists keeps its images.
    try {
      const listed = (await callVerb("SR.ls", { sr: s.sr }, { ignoreInterrupt: true })).json;
      for (const v of listed) for (const u of v.uri) ctx.images.delete(parseUri(u).image);
    } catch (e) {
      fail(`SR.ls after ${tag}`, e);
      ctx.images.clear();
    }
  }
  try {
    rec.setup.sweptImages = await sweepImages(s, ctx.images);
  } catch (e) {
    rec.cleanupError = e.message;
    fail(`sweeping the images of ${tag} (${[...ctx.images].join(", ")})`, e);
  }
  rec.setup.cleanupMs = Date.now() - t0;
}

// ------------------------------------------------------------------------------------ matrix

async function matrix() {
  for (const kind of SR_KINDS) await makeSr(kind);
  // Warm the page cache for node and the bundle before anything is timed.
  await callVerb("Plugin.Query", {});
  baselineStored = await poolStored();
  results.cluster.baselineStoredMiB = round1(baselineStored / MiB);
  const cells = [];
  for (const dataMiB of DATA_MIB) for (const sizeGiB of SIZES_GIB) for (const kind of SR_KINDS) cells.push({ dataMiB, sizeGiB, kind: kind.id });
  const plan = [];
  for (const c of cells) {
    for (let r = 0; r < runsFor(c.dataMiB); r++) {
      // Rotate the order of the methods from run to run, so none always runs first.
      for (let i = 0; i < METHODS.length; i++) plan.push({ ...c, method: METHODS[(i + r) % METHODS.length], run: r });
    }
  }
  const t0 = Date.now();
  // The checksums and clean-up of a run overlap the (untimed) set-up of the next; the next timing
  // starts only once they are over and, after a run that wrote 1 GiB or more, once the pool has
  // settled.
  let pending;
  const finishPending = async (holdBytes) => {
    if (!pending) return;
    const p = pending;
    pending = undefined;
    const prev = await p.done;
    if (!interrupted && prev.rec.writtenMiB >= 1024) {
      try {
        const st = await settle(holdBytes);
        prev.rec.setup.settleMs = st.ms;
        prev.rec.setup.storedAfterMiB = st.storedMiB;
        prev.rec.setup.settleTargetMiB = st.targetMiB;
      } catch (e) {
        log(`warning: cannot read ceph df: ${e.message}`);
      }
    }
  };
  try {
    for (const [n, p] of plan.entries()) {
      if (interrupted) break;
      const last = results.runs.slice(-3);
      if (last.length === 3 && last.every((r) => r.error !== undefined)) {
        fail("matrix", new Error(`the last 3 runs failed: stopping after ${n} of ${plan.length} runs (last error: ${last[2].error.slice(0, 300)})`));
        break;
      }
      if (!existsSync(cluster.conf)) {
        // Seen once on the shared machine: someone else removed the throwaway cluster mid-run.
        fail("cluster", new Error(`${cluster.conf} has disappeared (the cluster was removed by someone else?): stopping the matrix after ${n} of ${plan.length} runs`));
        break;
      }
      const s = srs[p.kind];
      const rec = { sr: p.kind, sizeGiB: p.sizeGiB, dataMiB: p.dataMiB, writtenMiB: Math.min(p.dataMiB, p.sizeGiB * 1024), method: p.method, run: p.run, ms: undefined, setup: {} };
      results.runs.push(rec);
      const tag = `${p.kind} ${p.sizeGiB} GiB D=${sizeText(p.dataMiB)} ${p.method} #${p.run + 1}`;
      const ctx = newContext(rec, s, tag);
      const verify = p.run === 0 && p.method !== "oldflow";
      try {
        log(`${tag}: set-up`);
        await setUp(ctx);
        if (verify) await headDigests(ctx);
      } catch (e) {
        rec.error = e.message;
        if (!interrupted) fail(`${tag} (set-up)`, e);
      }
      await finishPending(2 * rec.writtenMiB * MiB);
      let timedOk = false;
      if (!rec.error && !interrupted) {
        try {
          await timed(ctx);
          timedOk = true;
        } catch (e) {
          rec.error = e.message;
          if (!interrupted) fail(tag, e);
        }
      }
      // Checksums and clean-up of this run overlap the next run's set-up.
      pending = {
        done: (async () => {
          if (timedOk && !interrupted) {
            try {
              await afterwards(ctx, verify);
            } catch (e) {
              rec.afterError = e.message;
              if (!interrupted) fail(`${tag} (after the method)`, e);
            }
          }
          await cleanUp(ctx);
          return ctx;
        })(),
      };
      const el = (Date.now() - t0) / 1000;
      log(`progress: ${n + 1}/${plan.length} runs, ${el.toFixed(0)} s elapsed, ~${((el / (n + 1)) * (plan.length - n - 1)).toFixed(0)} s to go`);
    }
  } finally {
    await finishPending(0);
  }
}

// ------------------------------------------------------------------------------------ report

const ok = (r) => r.error === undefined && Number.isFinite(r.ms);
function stats(sr, sizeGiB, dataMiB, method, pick = (r) => r.ms) {
  const xs = results.runs.filter((r) => r.sr === sr && r.sizeGiB === sizeGiB && r.dataMiB === dataMiB && r.method === method && ok(r)).map(pick);
  return xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length } : undefined;
}
const cellText = (st) => (st ? `${sec(st.median)} [${sec(st.min)}-${sec(st.max)}]` : "-");
const dataLabel = (sizeGiB, dataMiB) => (dataMiB * MiB > sizeGiB * GiB ? `${sizeText(dataMiB)} (${sizeGiB} GiB written)` : sizeText(dataMiB));

function report() {
  const summaries = [];
  for (const kind of SR_KINDS) {
    console.log("");
    console.log(`## SR ${kind.id}: ${kind.label}`);
    console.log(`seconds, median [min-max] of the runs; old flow = destroy+clone+flatten, with the medians of (destroy+clone / flatten)`);
    const rows = [];
    for (const dataMiB of DATA_MIB) {
      for (const sizeGiB of SIZES_GIB) {
        const nat = stats(kind.id, sizeGiB, dataMiB, "native");
        const rb = stats(kind.id, sizeGiB, dataMiB, "rollback");
        const of = stats(kind.id, sizeGiB, dataMiB, "oldflow");
        const dc = stats(kind.id, sizeGiB, dataMiB, "oldflow", (r) => r.parts.destroyMs + r.parts.cloneMs);
        const fl = stats(kind.id, sizeGiB, dataMiB, "oldflow", (r) => r.parts.flattenMs);
        const runs = runsFor(dataMiB);
        const counts = [nat, rb, of].map((x) => x?.n ?? 0);
        const nText = counts.every((x) => x === runs) ? String(runs) : counts.join("/");
        summaries.push({ sr: kind.id, sizeGiB, dataMiB, native: nat, rollback: rb, oldflow: of, destroyClone: dc, flatten: fl });
        rows.push([
          `${sizeGiB} GiB`,
          dataLabel(sizeGiB, dataMiB),
          nText,
          cellText(nat),
          cellText(rb),
          of ? `${cellText(of)} (${sec(dc?.median)} / ${sec(fl?.median)})` : "-",
          fmtRatio(ratio(rb?.median, nat?.median)),
          fmtRatio(ratio(of?.median, nat?.median)),
        ]);
      }
    }
    console.log(table(["size", "D written after snapshot", "runs", "native", "rollback", "old flow (destroy+clone / flatten)", "rollback/native", "oldflow/native"], rows, ["l", "l", "r", "r", "r", "r", "r", "r"]));
  }
  results.summary = summaries;

  // Checksums.
  const verified = results.runs.filter((r) => r.verify);
  console.log("");
  const bad = verified.filter((r) => !r.verify.ok);
  const methodsUsed = [...new Set(verified.flatMap((r) => r.verify.digests.map((d) => d.method)))];
  const heads = verified.flatMap((r) => r.verify.digests).filter((d) => d.headDiffered !== undefined);
  console.log(`checksums (native and rollback, first run of each cell; ${methodsUsed.join(" + ") || "none"}): ${verified.length - bad.length}/${verified.length} match the snapshot${bad.length ? `, ${bad.length} MISMATCH` : ""}; the head before the method differed from the snapshot in ${heads.filter((d) => d.headDiffered).length}/${heads.length} digests taken (cells with <= 1 GiB written)`);
  for (const r of bad) console.log(`  MISMATCH ${r.sr} ${r.sizeGiB} GiB D=${sizeText(r.dataMiB)} ${r.method}: ${JSON.stringify(r.verify.digests)}`);

  // Goal checks, from the same run.
  console.log("");
  console.log("## Goal checks (facts from this run; speed figures never fail the script)");
  const check = (name, value, goalText, pass, detail) => {
    const c = { name, value, goal: goalText, pass: Number.isFinite(value) ? pass : undefined, detail };
    results.checks.push(c);
    const verdict = !Number.isFinite(value) ? "n/a" : pass ? "PASS" : "MISS";
    console.log(`${name}: ${fmtRatio(value)} (goal ${goalText}) ${verdict}${detail ? ` - ${detail}` : ""}`);
  };
  const where = (s) => `${s.sr} ${s.sizeGiB} GiB D=${sizeText(s.dataMiB)}`;
  // (a) native: largest median within 1.2x of the smallest, over every cell of both SRs.
  {
    const xs = summaries.filter((s) => s.native);
    if (xs.length) {
      const hi = xs.reduce((a, b) => (b.native.median > a.native.median ? b : a));
      const lo = xs.reduce((a, b) => (b.native.median < a.native.median ? b : a));
      const v = ratio(hi.native.median, lo.native.median);
      check("native largest/smallest", v, "<= 1.2x", v <= 1.2, `largest ${sec(hi.native.median)} s (${where(hi)}), smallest ${sec(lo.native.median)} s (${where(lo)}), over ${xs.length} cells`);
    } else check("native largest/smallest", NaN, "<= 1.2x", false, "no native figures");
  }
  // The ratio checks use each cell's own native median, and count only cells where D fits in the image.
  const ratioCheck = (name, goal, min, filter, num) => {
    const xs = summaries.filter((s) => filter(s) && s.native && s[num]);
    if (!xs.length) {
      check(name, NaN, `>= ${goal}x`, false, opts.quick ? "not measured in --quick" : "not measured");
      return;
    }
    const rs = xs.map((s) => ({ s, r: ratio(s[num].median, s.native.median) }));
    const worst = rs.reduce((a, b) => (b.r < a.r ? b : a));
    check(name, worst.r, `>= ${goal}x`, worst.r >= min, `worst case ${where(worst.s)}; ${rs.map((x) => `${x.s.sr} ${x.s.sizeGiB}G ${sizeText(x.s.dataMiB)}: ${fmtRatio(x.r)}`).join(", ")}`);
  };
  const fits = (s) => s.dataMiB * MiB <= s.sizeGiB * GiB;
  ratioCheck("rollback (object-map) / native at D=4 GiB", 3, 3, (s) => s.sr === "om" && s.dataMiB === 4096 && fits(s), "rollback");
  ratioCheck("rollback (no object-map) / native at 64 GiB", 15, 15, (s) => s.sr === "no" && s.sizeGiB === 64, "rollback");
  ratioCheck("old flow + flatten / native at D=4 GiB", 40, 40, (s) => s.dataMiB === 4096 && fits(s), "oldflow");
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
    log(`raw timings written to ${opts.jsonOut}`);
  } catch (e) {
    log(`cannot write ${opts.jsonOut}: ${e.message}`);
    process.exitCode = 1;
  }
}

// Other Ceph daemons on this machine (other test clusters): they are noise for the figures.
function otherCephDaemons() {
  const counts = { "ceph-osd": 0, "ceph-mon": 0, "ceph-mgr": 0 };
  try {
    for (const pid of readdirSync("/proc")) {
      if (!/^[0-9]+$/.test(pid)) continue;
      try {
        const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        if (comm in counts) counts[comm]++;
      } catch {
        // gone
      }
    }
  } catch {
    // no /proc
  }
  return counts;
}

function header() {
  const ceph = spawnSync("ceph", ["--version"], { encoding: "utf8" });
  const nproc = spawnSync("nproc", [], { encoding: "utf8" });
  results.machine = {
    nproc: Number(nproc.stdout?.trim()) || cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    totalMemoryMiB: Math.round(totalmem() / MiB),
    freeMemoryMiB: Math.round(freemem() / MiB),
    node: process.version,
    loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    cephDaemonsAtStart: otherCephDaemons(),
  };
  results.cluster.cephVersion = ceph.status === 0 ? ceph.stdout.trim() : `unknown (ceph --version: ${ceph.error?.message ?? ceph.stderr})`;
  const m = results.machine;
  const d = m.cephDaemonsAtStart;
  console.log(`# bench-revert (${results.mode}: sizes ${SIZES_GIB.join(", ")} GiB; D ${DATA_MIB.map(sizeText).join(", ")}; runs ${RUNS}${RUNS_4G !== RUNS ? ` (${RUNS_4G} for D=4 GiB)` : ""}; verify ${opts.verify})`);
  console.log(`date:     ${results.started}`);
  console.log(`ceph:     ${results.cluster.cephVersion}`);
  console.log(`machine:  nproc ${m.nproc} (${m.cpuModel}), memory ${(m.totalMemoryMiB / 1024).toFixed(1)} GiB (${(m.freeMemoryMiB / 1024).toFixed(1)} GiB free), node ${m.node}`);
  console.log(`noise:    load average at start ${m.loadavgAtStart.join(" ")}; Ceph daemons already running: ${d["ceph-osd"]} OSD, ${d["ceph-mon"]} mon, ${d["ceph-mgr"]} mgr (other test clusters)`);
}

// ------------------------------------------------------------------------------------ main

let signals = 0;
const onSignal = (sig) => {
  signals++;
  interrupted = true;
  if (signals > 1) {
    for (const c of live) c.kill("SIGKILL");
    clusterDown();
    process.exit(130);
  }
  log(`${sig}: stopping after clean-up (send it again to quit at once)`);
  for (const c of live) c.kill("SIGTERM");
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));
process.on("exit", () => clusterDown());

async function destroySrs() {
  for (const s of Object.values(srs)) {
    try {
      const vols = (await callVerb("SR.ls", { sr: s.sr }, { ignoreInterrupt: true })).json;
      for (const v of [...vols.filter((x) => !x.read_write), ...vols.filter((x) => x.read_write)]) await callVerb("Volume.destroy", { sr: s.sr, key: v.key }, { ignoreInterrupt: true });
      await callVerb("SR.destroy", { sr: s.sr }, { ignoreInterrupt: true });
      log(`SR ${s.kind} (${s.namespace}) destroyed`);
    } catch (e) {
      fail(`destroying SR ${s.kind} (namespace ${s.namespace})`, e);
    }
  }
}

async function main() {
  const t0 = Date.now();
  if (!existsSync(join(VOLUME_DIR, "Volume.revert"))) {
    log(`${join(VOLUME_DIR, "Volume.revert")} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
  header();
  try {
    await clusterUp();
    results.cluster.throwaway = cluster.throwaway;
    results.cluster.pool = cluster.pool;
    console.log(`cluster:  ${cluster.throwaway ? `throwaway (scripts/ceph-local.sh, 1 bluestore OSD of 60 GB, port ${cluster.port})` : `existing (${cluster.conf})`}, pool ${cluster.pool}`);
    await matrix();
  } catch (e) {
    if (!interrupted) fail("set-up", e);
  } finally {
    report();
    if (!cluster.throwaway && cluster.conf) await destroySrs();
    clusterDown();
    reportFailures();
  }
  results.seconds = Math.round((Date.now() - t0) / 1000);
  results.machine.loadavgAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  console.log("");
  const loads = results.runs.map((r) => r.load1).filter(Number.isFinite);
  const loadText = loads.length ? `1-min load average when timing: median ${median(loads).toFixed(1)}, min ${Math.min(...loads).toFixed(1)}, max ${Math.max(...loads).toFixed(1)}; ` : "";
  console.log(`noise: ${loadText}at end ${results.machine.loadavgAtEnd.join(" ")} (shared ${results.machine.nproc}-CPU machine; the cluster runs on it too: read ratios more than absolute values)`);
  console.log(`total wall time: ${results.seconds} s`);
  writeJson();
  if (results.failures.length > 0 || interrupted) process.exitCode = interrupted ? 130 : 1;
}

await main();
