// The Ceph release matrix (npm run matrix): every volume scenario and the GC, fsck and admin
// commands (matrix/cells.mjs) for each Ceph client against each Ceph cluster, the clients and
// the Reef cluster from Debian roots (ceph-roots.sh). Each cell's figures are written to
// docs/support-matrix.json with their date, and its table in docs/support-matrix.md is rebuilt.
//   --only nautilus:pacific,reef:reef   some cells (client:cluster)
//   --suites sr,volume                  some suites
//   --port N                            the clusters' mon port (default 24000; one at a time)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLIENTS, CLUSTERS, SUITES, cellKey } from "./matrix/cells.mjs";
import { clientVersion, startCluster } from "./matrix/clusters.mjs";
import { writeResults } from "./matrix/results.mjs";

const root = join(import.meta.dirname, "..");
const opt = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = opt("only")?.split(",");
const suites = opt("suites")?.split(",") ?? SUITES;
const port = Number(opt("port") ?? 24000);
const rootDir = (suite) => (suite ? execFileSync("bash", [join(root, "scripts/ceph-roots.sh"), "path", suite], { encoding: "utf8" }).trim() : null);

// One cell: the suites through vitest's integration project, with every verb run in the root.
function runCell(clientName, cluster) {
  const client = CLIENTS[clientName];
  const dir = rootDir(client.root);
  const report = join(mkdtempSync(join(tmpdir(), "matrix-")), "report.json");
  const started = Date.now();
  const files = suites.map((s) => `test/integration/${s}.test.ts`);
  const env = { ...process.env, CEPH_TEST_CONF: cluster.conf, ...(dir ? { CEPH_TEST_CLIENT_ROOT: dir } : {}) };
  spawnSync("npx", ["vitest", "run", "--project", "integration", "--reporter=dot", "--reporter=json", `--outputFile=${report}`, ...files], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  const r = JSON.parse(readFileSync(report, "utf8"));
  rmSync(join(report, ".."), { recursive: true, force: true });
  const failures = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => a.fullName));
  return {
    client: clientName,
    clientVersion: clientVersion(dir),
    passed: r.numPassedTests,
    failed: r.numFailedTests,
    skipped: r.numPendingTests + r.numTodoTests,
    seconds: Math.round((Date.now() - started) / 1000),
    failures,
  };
}

const results = [];
for (const [clusterName, spec] of Object.entries(CLUSTERS)) {
  const clients = Object.keys(CLIENTS).filter((c) => !only || only.includes(cellKey(c, clusterName)));
  if (clients.length === 0) continue;
  if (spec.root) rootDir(spec.root);
  const cluster = startCluster(spec, port);
  try {
    for (const c of clients) {
      const cell = { ...runCell(c, cluster), cluster: clusterName, clusterVersion: cluster.version, date: new Date().toISOString().slice(0, 10), suites };
      console.log(`matrix: ${cellKey(c, clusterName)}: ${cell.passed} passed, ${cell.failed} failed, ${cell.skipped} skipped in ${cell.seconds} s`);
      results.push(cell);
      // Kept as each cell ends: a long run stopped halfway keeps what it measured.
      writeResults([cell]);
    }
  } finally {
    cluster.stop();
  }
}
process.exitCode = results.some((r) => r.failed > 0) ? 1 : 0;
