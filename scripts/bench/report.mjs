// Writes the benchmark report: report.md (header with the machine, Ceph and the load, a headline
// table of the comparisons, one section per topic), the SVG figures beside it and results.json
// with every section and raw figure (from which a run of some topics only, --only, takes the
// sections it does not re-run).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fmt, fmtRatio, fmtSummary, table } from "./stats.mjs";

// The sections of the report in `dir` made in `mode`, or none.
export function readSections(dir, mode) {
  const file = join(dir, "results.json");
  if (!existsSync(file)) return [];
  const r = JSON.parse(readFileSync(file, "utf8"));
  return r.mode === mode && Array.isArray(r.sections) ? r.sections : [];
}

export function writeReport(dir, { mode, started, seconds, machine, load, loadEnd, daemons, cluster, runsNote, sections, failures, figures }) {
  mkdirSync(dir, { recursive: true });
  // Figures that no section shows any more (an earlier run's) go.
  const shown = new Set(sections.flatMap((s) => [...s.markdown.matchAll(/\]\(([^)]+\.svg)\)/g)].map((m) => m[1])));
  for (const f of readdirSync(dir)) if (f.endsWith(".svg") && !shown.has(f)) rmSync(join(dir, f));
  for (const f of figures) writeFileSync(join(dir, f.file), f.svg);
  const m = machine;
  const lines = [
    "# Benchmarks",
    "",
    `Made by \`npm run bench${mode === "quick" ? " -- --quick" : ""}\` (scripts/bench/) on ${started.slice(0, 16).replace("T", " ")} UTC, in ${Math.round(seconds / 60)} min; git ${m.git}${m.gitDirty ? " with uncommitted changes" : ""}.${mode === "quick" ? " **Quick mode: a check that the harness runs; the figures mean nothing.**" : ""}${sections.some((s) => s.started < started) ? " Some sections are kept from an earlier run of the same command (`--only` re-ran the other topics): each section says when it was measured and under what load." : ""}`,
    "",
    table(
      ["", ""],
      [
        ["machine", `${m.nproc} CPU (${m.cpu}), ${m.memoryGiB} GiB RAM, ${m.os}, Linux ${m.kernel}`],
        ["software", `${m.ceph}; Node ${m.node}; ${m.qemu}; ${m.fio}`],
        ["cluster", cluster],
        [
          "load average (1 min)",
          `median ${fmt(load?.median)}, min ${fmt(load?.min)}, max ${fmt(load?.max)} while this run ran (every 5 s); ${loadEnd.map((x) => x.toFixed(1)).join(" ")} at its end`,
        ],
        ["other Ceph daemons", `${daemons} running on this machine at the start (other test clusters)`],
        ["runs", runsNote],
      ],
      ["l", "l"],
    ),
    "",
    "Every process runs in the environment xapi-storage-script gives its plugins (systemd's PATH, OCAMLRUNPARAM=b, the bench's own settings), not in the shell's that started the bench. Wall times are from spawn to exit of each process. Every figure is a median with its min and max; every ratio compares figures measured in the same run, side by side (per-run ratios, then their median, min and max). On a shared, loaded machine absolute times are inflated: read the ratios.",
    "",
    "## Headline",
    "",
    table(
      ["comparison", "this product", "alternative", "ratio: median (min–max)", "ratio of"],
      sections.flatMap((s) => s.headline.map((h) => [h.what, h.ours, h.theirs, h.ratio ? fmtSummary(h.ratio, fmtRatio) : "-", h.of ?? ""])),
    ),
    "",
    ...sections.flatMap((s) => [
      `## ${s.title}`,
      "",
      s.markdown,
      "",
      `Measured from ${s.started.slice(0, 16).replace("T", " ")} UTC for ${s.seconds < 120 ? `${s.seconds} s` : `${Math.round(s.seconds / 60)} min`} (set-up and clean-up included), load average median ${fmt(s.load?.median)} (${fmt(s.load?.min)}–${fmt(s.load?.max)}).`,
      "",
    ]),
    ...(failures.length ? ["## Failures", "", ...failures.map((f) => `- ${f.topic}: ${f.error.replace(/\s+/g, " ").slice(0, 2000)}`), ""] : []),
  ];
  writeFileSync(join(dir, "report.md"), lines.join("\n"));
  writeFileSync(join(dir, "results.json"), `${JSON.stringify({ mode, started, seconds, machine, load, cluster, runsNote, failures, sections }, null, 1)}\n`);
}
