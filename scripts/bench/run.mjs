// npm run bench [-- --quick] [-- --only TOPIC[,TOPIC]] [-- --out DIR] [-- --runs N]
//               [-- --revert-sizes 1,4,16,64] [-- --revert-data 256,4096] [-- --revert-srs om,no]
//               [-- --revert-runs-large N]
//
// Builds the plugins from the working tree into a private directory, starts a throwaway Ceph
// cluster (scripts/ceph-local.sh; or uses the one CEPH_CONF names, pool CEPH_POOL, cephx id
// CEPH_CLIENT_ID), runs every benchmark topic (or those of --only) and writes report.md, the
// SVG figures and results.json to DIR (default scripts/bench/report/; with --quick a directory
// under the system's temp directory, so that a check never overwrites the committed report).
// --quick is a smoke run for CI: tiny sizes, one run each, all topics at once; it checks that the
// harness works and asserts nothing about speed. --runs N sets the runs of every repeated measurement (the start-up
// loop excepted); --revert-runs-large N those of the revert cells that write 1 GiB or more (minutes
// a run). The report is rewritten after each topic, so an interrupted run leaves what it measured.
// A topic that fails is reported and the others still run; the exit status is
// then 1. Progress goes to stderr; the report's path to stdout.
import { spawnSync } from "node:child_process";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import cbt from "./cbt.mjs";
import datapath from "./datapath.mjs";
import gc from "./gc.mjs";
import gcMemory from "./gc-memory.mjs";
import scale from "./scale.mjs";
import { log, ROOT } from "./base.mjs";
import { installCleanup } from "./cleanup.mjs";
import { clusterUp } from "./cluster.mjs";
import { cephDaemons, loadSampler, machineInfo } from "./machine.mjs";
import { cluster, state } from "./state.mjs";
import { buildTree } from "./tree.mjs";
import listing from "./listing.mjs";
import { readSections, writeReport } from "./report.mjs";
import revert from "./revert.mjs";
import service from "./service.mjs";
import startup from "./startup.mjs";
import volumeReads from "./volume-reads.mjs";

// Revert last: it is the longest, and a run cut short keeps the others.
const TOPICS = [startup, service, listing, volumeReads, gc, gcMemory, scale, datapath, cbt, revert];

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    out: { type: "string" },
    runs: { type: "string" },
    "revert-sizes": { type: "string" },
    "revert-data": { type: "string" },
    "revert-srs": { type: "string" },
    "revert-runs-large": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (args.help) {
  process.stdout.write(
    `usage: npm run bench -- [--quick] [--only ${TOPICS.map((t) => t.id).join("|")}] [--out DIR] [--runs N] [--revert-sizes GiB,..] [--revert-data MiB,..] [--revert-srs om,no] [--revert-runs-large N]\n`,
  );
  process.exit(0);
}
const only = (args.only ?? []).flatMap((x) => x.split(","));
for (const id of only) {
  if (!TOPICS.some((t) => t.id === id)) {
    process.stderr.write(`bench: unknown topic ${id} (topics: ${TOPICS.map((t) => t.id).join(", ")})\n`);
    process.exit(2);
  }
}
const runsArg = args.runs === undefined ? undefined : Number(args.runs);
if (runsArg !== undefined && !(Number.isInteger(runsArg) && runsArg > 0)) {
  process.stderr.write(`bench: --runs takes a positive whole number\n`);
  process.exit(2);
}
const quick = args.quick;
const out = resolve(args.out ?? (quick ? join(tmpdir(), "xcp-ceph-rbd-bench-quick") : join(ROOT, "scripts/bench/report")));
const topics = only.length ? TOPICS.filter((t) => only.includes(t.id)) : TOPICS;

// What the topics run (Ceph, QEMU's tools, fio) comes from Debian, installed if missing: a
// figure never depends on what happens to be on the machine.
if (spawnSync("bash", [join(ROOT, "scripts/install-ceph.sh")], { stdio: ["ignore", "ignore", "inherit"] }).status !== 0) {
  process.stderr.write("bench: scripts/install-ceph.sh failed: the tools the topics need are missing\n");
  process.exit(2);
}
const started = new Date().toISOString();
const t0 = Date.now();
const load = loadSampler();
const daemons = cephDaemons();
const cleanup = installCleanup();
buildTree();
const machine = machineInfo();
const sections = [];
// With --only, the other topics' sections of the report already in --out stay.
const kept = only.length ? readSections(out, quick ? "quick" : "full").filter((s) => !only.includes(s.id)) : [];
const ordered = () => TOPICS.map((t) => sections.find((s) => s.id === t.id) ?? kept.find((s) => s.id === t.id)).filter(Boolean);
const failures = [];
const figures = [];
const ctx = {
  quick,
  args,
  // Runs of a repeated measurement: --runs, else `full` (or `quickRuns` with --quick).
  runs: (full, quickRuns) => runsArg ?? (quick ? quickRuns : full),
  figure: (name, alt, svg) => {
    figures.push({ file: `${name}.svg`, svg });
    return `![${alt}](${name}.svg)`;
  },
};
const runsNote = [
  runsArg
    ? `--runs ${runsArg}: every repeated figure is the median of ${runsArg} run(s)`
    : quick
      ? "--quick: one run of each, tiny sizes"
      : "defaults: start-up 30 pairs; per-verb 5; listing 5 at each size; revert, GC flatten, GC worker memory and datapath 3",
  ...(args["revert-runs-large"] ? [`revert cells writing 1 GiB or more: ${args["revert-runs-large"]} run(s) (--revert-runs-large, for time)`] : []),
  ...["revert-sizes", "revert-data", "revert-srs"]
    .filter((k) => args[k])
    .map((k) => `--${k} ${args[k]} (default ${{ "revert-sizes": "1,4,16,64", "revert-data": "256,4096", "revert-srs": "om,no" }[k]})`),
].join("; ");
let clusterText = "none (set-up failed)";
const report = () =>
  writeReport(out, {
    mode: quick ? "quick" : "full",
    started,
    seconds: (Date.now() - t0) / 1000,
    machine,
    load: load.summary(),
    loadEnd: loadavg(),
    daemons,
    cluster: clusterText,
    runsNote,
    sections: ordered(),
    failures,
    figures,
  });
try {
  await clusterUp({ osdGb: 60 });
  clusterText = cluster.throwaway
    ? "throwaway (scripts/ceph-local.sh: one mon, one mgr, one bluestore OSD on a sparse file)"
    : `existing (${cluster.conf}), pool ${cluster.pool}`;
  const runTopic = async (t) => {
    log(`=== ${t.id}: ${t.title}`);
    const t1 = Date.now();
    try {
      const section = { id: t.id, title: t.title, ...(await t.run(ctx)), started: new Date(t1).toISOString(), seconds: 0 };
      section.seconds = Math.round((Date.now() - t1) / 1000);
      section.load = load.summary(t1);
      if (section.failure) failures.push({ topic: t.id, error: section.failure });
      log(`=== ${t.id} done in ${section.seconds} s`);
      return section;
    } catch (e) {
      failures.push({ topic: t.id, error: e instanceof Error ? e.message : String(e) });
      log(`FAILED: ${t.id}: ${e instanceof Error ? e.stack : e}`);
      return undefined;
    }
  };
  if (quick) {
    // A check that the harness runs, not a measurement: every topic at once (each in its own SR).
    sections.push(...(await Promise.all(topics.map(runTopic))).filter(Boolean));
  } else {
    for (const t of topics) {
      if (state.interrupted) break;
      const section = await runTopic(t);
      if (section) sections.push(section);
      report();
    }
  }
} catch (e) {
  failures.push({ topic: "set-up", error: e.message });
  log(`FAILED: set-up: ${e.message}`);
}
cleanup();
report();
log(`report in ${out} (${Math.round((Date.now() - t0) / 1000)} s)`);
process.stdout.write(`${join(out, "report.md")}\n`);
if (failures.length || state.interrupted) process.exitCode = 1;
