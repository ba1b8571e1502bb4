#!/usr/bin/env node
// The reliability report (npm run reliability-report): installs what the tests need if it is
// missing, runs the reliability suites through vitest (which builds the install tree for itself)
// and prints each suite's figures:
//   crash, gc-crash  boundaries tried / killed there / converged
//   mixed-load       ops run / anomalies (and the expected refusals)
//   hostile-input    inputs tried / clean errors / changes
//   faults           faults injected / recovered
//   security         verbs run, processes sampled, keyrings and sources checked
//   nbd-load         the rbd+nbd export's mixed fio load: seconds, IOPS, bytes checked
//   pool-*           each scenario's RELIABILITY line across test hosts (operations, anomalies,
//                    time to fence, time to take over a GC pass)
// The full set by default (RELIABILITY_FULL=1 and HOSTILE_FULL=1: every suite's long version);
// --reduced runs what `npm test` runs in CI. --only a,b runs some suites only (names as
// above). Exit status: non-zero if a suite failed.
//
// Three vitest runs, so that no more than two clusters are up at once: the suites sharing the
// test run's throwaway cluster, then faults.test.ts, which starts two of its own, then the pool
// suites, each with a cluster of its own on its test hosts' bridge. The suites
// belong to two test kinds (vitest.config.ts): reliability, and integration for hostile-input
// and security.
//
// What is measured, and how:
//  - Each suite of ours prints one line `RELIABILITY <suite> key=value ...`; hostile-input
//    prints `hostile input: N inputs tried, N clean errors, N changes`. Both are read from
//    vitest's output.
//  - crash.test.ts prints nothing of its own: its boundaries are counted by a preload
//    (NODE_OPTIONS=--require) that notes every node process started with CEPH_RBD_CRASH_AT and
//    whether it exited (it does not when the crash point killed it). A boundary counts as
//    converged when it was killed there and its test passed: each test of crash.test.ts checks
//    convergence and data after every boundary it kills, and stops at the first that fails.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { figuresOf } from "./reliability-figures.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const full = !args.includes("--reduced");
const onlyArg = args.find((a) => a.startsWith("--only"));
const only = onlyArg ? (onlyArg.includes("=") ? onlyArg.split("=")[1] : (args[args.indexOf(onlyArg) + 1] ?? "")).split(",").filter(Boolean) : undefined;

const SUITES = {
  crash: "test/integration/crash.test.ts",
  "gc-crash": "test/integration/gc-crash.test.ts",
  "mixed-load": "test/integration/mixed-load.test.ts",
  "hostile-input": "test/integration/hostile-input.test.ts",
  faults: "test/integration/faults.test.ts",
  security: "test/integration/security.test.ts",
  "pool-load": "test/integration/pool-load.test.ts",
  "pool-datapath": "test/integration/pool-datapath.test.ts",
  "pool-gc": "test/integration/pool-gc.test.ts",
  "nbd-load": "test/integration/nbd-load.test.ts",
};
// The pool suites print one RELIABILITY line per scenario.
const SCENARIOS = {
  "pool-load": ["pool-mixed-load"],
  "pool-datapath": ["pool-migration", "pool-fence"],
  "pool-gc": ["pool-gc-takeover", "pool-reboot"],
};
const chosen = Object.entries(SUITES).filter(([name]) => !only || only.includes(name));
if (chosen.length === 0) {
  console.error(`reliability-report: no suite among ${Object.keys(SUITES).join(", ")}`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "reliability-report-"));
const crashLog = join(work, "crash-points.log");
const preload = join(work, "crash-count.cjs");
writeFileSync(crashLog, "");
// Runs in every node process of the run; does something only in those armed with a crash point.
writeFileSync(
  preload,
  `"use strict";
const at = process.env.CEPH_RBD_CRASH_AT;
const log = process.env.RELIABILITY_CRASH_LOG;
if (at && log) {
  const fs = require("node:fs");
  fs.appendFileSync(log, "start " + process.pid + " " + at + "\\n");
  process.on("exit", (code) => { try { fs.appendFileSync(log, "exit " + process.pid + " " + code + "\\n"); } catch {} });
}
`,
);

const started = Date.now();
console.log(`reliability report: ${full ? "full" : "reduced"} run of ${chosen.map(([n]) => n).join(", ")}`);
execFileSync("bash", [join(root, "scripts/install-ceph.sh")], { cwd: root, stdio: "inherit" });
if (!existsSync(join(root, "node_modules"))) execFileSync("bash", [join(root, "scripts/npm-deps.sh")], { cwd: root, stdio: "inherit" });

const env = {
  ...process.env,
  RELIABILITY_CRASH_LOG: crashLog,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${preload}`.trim(),
  ...(full ? { RELIABILITY_FULL: "1", HOSTILE_FULL: "1" } : {}),
};
let output = "";
// One vitest run of some suites; its exit code and JSON results.
async function vitest(files, extraEnv, tag) {
  const jsonOut = join(work, `vitest-${tag}.json`);
  const vitestArgs = [
    "vitest",
    "run",
    "--project",
    "reliability",
    "--project",
    "integration",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${jsonOut}`,
    ...files,
  ];
  const code = await new Promise((resolve) => {
    const child = spawn("npx", vitestArgs, { cwd: root, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on("data", (d) => process.stderr.write(d));
    child.on("close", (c) => resolve(c ?? 1));
  });
  return { code, results: existsSync(jsonOut) ? JSON.parse(readFileSync(jsonOut, "utf8")).testResults : [] };
}
const shared = chosen.filter(([name]) => name !== "faults" && !SCENARIOS[name]).map(([, f]) => f);
const own = chosen.filter(([name]) => name === "faults").map(([, f]) => f);
const pools = chosen.filter(([name]) => SCENARIOS[name]).map(([, f]) => f);
const runs = [];
if (shared.length > 0) runs.push(await vitest(shared, {}, "shared"));
if (own.length > 0) runs.push(await vitest(own, { CEPH_TEST_CLUSTER: "none" }, "own"));
if (pools.length > 0) runs.push(await vitest(pools, { CEPH_TEST_CLUSTER: "none" }, "pools"));
const code = runs.find((r) => r.code !== 0)?.code ?? 0;
const seconds = Math.round((Date.now() - started) / 1000);

// ---------------------------------------------------------------- what the run said

const fileResult = (file) => runs.flatMap((r) => r.results).find((r) => r.name.endsWith(file));
const status = (file) => {
  const r = fileResult(file);
  if (!r) return { state: "not run", seconds: 0, passed: 0, failed: 0, tests: [] };
  const tests = r.assertionResults ?? [];
  return {
    state: r.status === "passed" ? "passed" : "FAILED",
    seconds: Math.round(((r.endTime ?? 0) - (r.startTime ?? 0)) / 1000),
    passed: tests.filter((t) => t.status === "passed").length,
    failed: tests.filter((t) => t.status === "failed").length,
    tests,
  };
};

// RELIABILITY <suite> k=v ... (the last one printed per suite)
const lines = {};
for (const m of output.matchAll(/^RELIABILITY (\S+) (.*)$/gm))
  lines[m[1]] = Object.fromEntries(m[2].split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
const hostile = /hostile input: (\d+) inputs tried, (\d+) clean errors, (\d+) changes/.exec(output);
const mixed = /mixed load: (\d+) ops, (\d+) anomalies/.exec(output);

// crash.test.ts: boundaries from the preload's log.
const starts = new Map();
const exits = new Set();
for (const line of readFileSync(crashLog, "utf8").split("\n")) {
  const [what, pid, rest] = line.split(" ");
  if (what === "start") starts.set(pid, rest);
  if (what === "exit") exits.add(pid);
}
const ours = (point) => point.startsWith("gc:") || point.startsWith("activate:");
const crashPoints = [...starts].filter(([, p]) => !ours(p));
const killed = crashPoints.filter(([pid]) => !exits.has(pid));
// Which test of crash.test.ts kills at which points (by the operation's prefix).
const testOf = (point) =>
  ({
    create: /Volume\.create/,
    snapshot: /Volume\.snapshot/,
    clone: /Volume\.clone/,
    destroy: /Volume\.destroy/,
    revert: /Volume\.revert/,
    resize: /Volume\.resize/,
  })[point.split(":")[0]];
const crashStatus = status(SUITES.crash);
const convergedCrash = killed.filter(([, p]) => {
  const re = testOf(p);
  const tests = crashStatus.tests.filter((t) => re && re.test(t.title ?? t.fullName ?? ""));
  return tests.length > 0 && tests.every((t) => t.status === "passed");
});

// ---------------------------------------------------------------- the report

const rows = [];
const distinct = new Set(crashPoints.map(([, p]) => p)).size;
const crash = { tried: crashPoints.length, distinct, killed: killed.length, converged: convergedCrash.length };
for (const [name] of chosen) {
  const figures = figuresOf(name, { r: lines[name] ?? {}, lines, scenarios: SCENARIOS[name], mixed, hostile, crash });
  rows.push({ name, figures: figures ?? "no figures (the suite did not finish)", st: status(SUITES[name]) });
}

const width = Math.max(...rows.map((r) => r.name.length));
console.log("");
console.log(`reliability report (${full ? "full" : "reduced"} run, ${seconds} s in all, vitest exit ${code}):`);
for (const { name, figures, st } of rows) {
  console.log(`  ${name.padEnd(width)}  ${st.state.padEnd(7)} ${String(st.seconds).padStart(4)} s  ${st.passed}/${st.passed + st.failed} tests  ${figures}`);
}
rmSync(work, { recursive: true, force: true });
process.exit(code === 0 && rows.every((r) => r.st.state === "passed") ? 0 : 1);
