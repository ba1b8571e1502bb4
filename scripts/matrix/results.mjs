// The matrix's results kept in the repository: docs/support-matrix.json (each cell's latest run,
// machine-readable, with its date), and the table between the markers of docs/support-matrix.md.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLIENTS, CLUSTERS, cellKey } from "./cells.mjs";

const docs = join(import.meta.dirname, "../../docs");
const JSON_FILE = join(docs, "support-matrix.json");
const MD_FILE = join(docs, "support-matrix.md");
const BEGIN = "<!-- matrix:begin (written by npm run matrix) -->";
const END = "<!-- matrix:end -->";

const status = (c) => (c.failed === 0 ? "pass" : `**${c.failed} failed**`);

export function writeResults(fresh) {
  let kept = [];
  try {
    kept = JSON.parse(readFileSync(JSON_FILE, "utf8")).cells;
  } catch {
    // no results yet
  }
  const byKey = new Map(kept.map((c) => [cellKey(c.client, c.cluster), c]));
  for (const c of fresh) byKey.set(cellKey(c.client, c.cluster), c);
  const cells = [...byKey.values()];
  writeFileSync(JSON_FILE, `${JSON.stringify({ cells }, null, 2)}\n`);
  const rows = Object.keys(CLIENTS).flatMap((client) =>
    Object.keys(CLUSTERS).map((cluster) => {
      const c = byKey.get(cellKey(client, cluster));
      const head = `| ${CLIENTS[client].label} | ${CLUSTERS[cluster].label} |`;
      return c
        ? `${head} ${c.clientVersion} → ${c.clusterVersion.replace(/ceph version (\S+).*/, "$1")} | ${status(c)} (${c.passed} passed, ${c.skipped} skipped) | ${c.seconds} s | ${c.date} |`
        : `${head} | not run | | |`;
    }),
  );
  const table = ["| client | cluster | versions | result | time | date |", "|---|---|---|---|---|---|", ...rows].join("\n");
  const md = readFileSync(MD_FILE, "utf8");
  const at = md.indexOf(BEGIN);
  const end = md.indexOf(END);
  if (at < 0 || end < 0) throw new Error(`${MD_FILE} has no ${BEGIN} … ${END} section`);
  writeFileSync(MD_FILE, `${md.slice(0, at + BEGIN.length)}\n${table}\n${md.slice(end)}`);
}
