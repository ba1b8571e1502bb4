// Writes the benchmark report: report.md (header with the machine, Ceph and the load, a headline
// table of the comparisons, one section per topic), the SVG figures beside it and results.json
// with every raw figure.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fmt, fmtRatio, fmtSummary, table } from "./lib.mjs";

export function writeReport(dir, { mode, started, seconds, machine, load, loadEnd, daemons, cluster, runsNote, sections, failures, figures }) {
  mkdirSync(dir, { recursive: true });
  // Figures of an earlier run that this one did not make would be stale.
  for (const f of readdirSync(dir)) if (f.endsWith(".svg")) rmSync(join(dir, f));
  for (const f of figures) writeFileSync(join(dir, f.file), f.svg);
  const m = machine;
  const lines = [
    "# Benchmarks",
    "",
    `Made by \`npm run bench${mode === "quick" ? " -- --quick" : ""}\` (scripts/bench/) on ${started.slice(0, 16).replace("T", " ")} UTC, in ${Math.round(seconds / 60)} min; git ${m.git}${m.gitDirty ? " with uncommitted changes" : ""}.${mode === "quick" ? " **Quick mode: a check that the harness runs; the figures mean nothing.**" : ""}`,
    "",
    table(
      ["", ""],
      [
        ["machine", `${m.nproc} CPU (${m.cpu}), ${m.memoryGiB} GiB RAM, ${m.os}, Linux ${m.kernel}`],
        ["software", `${m.ceph}; Node ${m.node}; ${m.qemu}; ${m.fio}`],
        ["cluster", cluster],
        ["load average (1 min)", `median ${fmt(load?.median)}, min ${fmt(load?.min)}, max ${fmt(load?.max)} while running (every 5 s); ${loadEnd.map((x) => x.toFixed(1)).join(" ")} at the end`],
        ["other Ceph daemons", `${daemons} running on this machine at the start (other test clusters)`],
        ["runs", runsNote],
      ],
      ["l", "l"],
    ),
    "",
    "Wall times are from spawn to exit of each process. Every figure is a median with its min and max; every ratio compares figures measured in the same run, side by side (per-run ratios, then their median, min and max). On a shared, loaded machine absolute times are inflated: read the ratios.",
    "",
    "## Headline",
    "",
    table(
      ["comparison", "this product", "alternative", "ratio: median (min–max)", "ratio of"],
      sections.flatMap((s) => s.headline.map((h) => [h.what, h.ours, h.theirs, h.ratio ? fmtSummary(h.ratio, fmtRatio) : "-", h.of ?? ""])),
    ),
    "",
    ...sections.flatMap((s) => [`## ${s.title}`, "", s.markdown, "", `(${s.seconds} s for this section, set-up and clean-up included.)`, ""]),
    ...(failures.length ? ["## Failures", "", ...failures.map((f) => `- ${f.topic}: ${f.error.replace(/\s+/g, " ").slice(0, 2000)}`), ""] : []),
  ];
  writeFileSync(join(dir, "report.md"), lines.join("\n"));
  writeFileSync(join(dir, "results.json"), `${JSON.stringify({ mode, started, seconds, machine, load, cluster, runsNote, topics: Object.fromEntries(sections.map((s) => [s.id, { seconds: s.seconds, data: s.data }])), failures }, null, 1)}\n`);
}
