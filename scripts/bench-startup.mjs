// Start-up budget of a verb (issue: at most 1.5x `node -e 0`, at most 64 MiB resident):
// times `Plugin.Query --json` from spawn to exit against `node -e 0`, interleaved so both see
// the same machine load, and reads the verb process's peak resident memory (ru_maxrss).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");
const verb = join(root, "plugins/volume/org.xen.xapi.storage.ceph-rbd/Plugin.Query");
const runs = Number(process.env.RUNS ?? 30);
const env = { ...process.env, CEPH_RBD_LOG_STDERR: "off" };

const timeOnce = (cmd, args, input) => {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { input, env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stdout}${r.stderr}`);
  return { ms, stdout: r.stdout };
};

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

// Peak RSS of one child, measured by the kernel (getrusage of children, in KiB on Linux).
const peakRssMiB = (cmd, args, input) => {
  const probe = "import resource,subprocess,sys; subprocess.run(sys.argv[1:], input=sys.stdin.buffer.read(), stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
  const r = spawnSync("python3", ["-c", probe, cmd, ...args], { input, env, encoding: "utf8" });
  return Number(r.stdout.trim()) / 1024;
};

const input = '{"dbg":"bench"}';

// Instructions executed, counted by valgrind: the same on a quiet or a loaded machine, so the
// ratio holds where wall time is noise (2 shared cores). Needs valgrind; slow (~20 s a run).
if (process.argv.includes("--instructions")) {
  const count = (args) => {
    const r = spawnSync("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, ...args], { input, env, encoding: "utf8" });
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (!m) throw new Error(`valgrind failed: ${r.stderr.slice(-500)}`);
    return Number(m[1]);
  };
  const base = stats([0, 1, 2].map(() => count(["-e", "0"])));
  const verbI = stats([0, 1, 2].map(() => count([verb, "--json"])));
  console.log(`instructions: node -e 0 ${(base.median / 1e6).toFixed(0)} M, Plugin.Query --json ${(verbI.median / 1e6).toFixed(0)} M`);
  console.log(`ratio (instructions)      ${(verbI.median / base.median).toFixed(2)}x node -e 0   (goal <= 1.5x)`);
  process.exit(0);
}
timeOnce(verb, ["--json"], input); // warm the page cache for both
timeOnce(process.execPath, ["-e", "0"]);
const verbMs = [];
const nodeMs = [];
for (let i = 0; i < runs; i++) {
  nodeMs.push(timeOnce(process.execPath, ["-e", "0"]).ms);
  const r = timeOnce(verb, ["--json"], input);
  if (!r.stdout.startsWith("{")) throw new Error(`unexpected output: ${r.stdout}`);
  verbMs.push(r.ms);
}
const v = stats(verbMs);
const n = stats(nodeMs);
const rss = stats(Array.from({ length: 5 }, () => peakRssMiB(verb, ["--json"], input)));
const nodeRss = stats(Array.from({ length: 5 }, () => peakRssMiB(process.execPath, ["-e", "0"], "")));
const f = (x) => x.toFixed(1);
console.log(`runs: ${runs} (interleaved), node ${process.version}`);
console.log(`node -e 0                 median ${f(n.median)} ms  (min ${f(n.min)}, max ${f(n.max)})   peak RSS ${f(nodeRss.median)} MiB`);
console.log(`Plugin.Query --json       median ${f(v.median)} ms  (min ${f(v.min)}, max ${f(v.max)})   peak RSS ${f(rss.median)} MiB`);
console.log(`ratio (median)            ${(v.median / n.median).toFixed(2)}x node -e 0   (goal <= 1.5x; RSS goal <= 64 MiB)`);
