// `npm run bench -- --quick` against the test cluster: the harness runs every topic and writes a
// report whose figures are well-formed SVG. Nothing about speed is asserted.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ROOT } from "../helpers/run-verb.js";

const TOPICS = [
  "Verb start-up and Ceph calls per verb",
  "SR.ls against the number of volumes",
  "Revert time against volume size",
  "GC flatten throughput against rbd flatten",
  "GC worker memory with many volumes in the SR",
  "An SR of 10,000 volumes: Volume.stat, SR.ls and the GC",
  "Datapath throughput through rbd+nbd against rbd bench",
];

// Tags balance (a stack check over start and end tags), no script, one <svg> root.
function svgProblems(text: string): string[] {
  const problems: string[] = [];
  if (!/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/.test(text)) problems.push("does not open with an <svg> root in the SVG namespace");
  if (!text.trimEnd().endsWith("</svg>")) problems.push("does not end with </svg>");
  if (/<script/i.test(text)) problems.push("holds a script");
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self) continue;
    if (!close) stack.push(name!);
    else if (stack.pop() !== name) problems.push(`</${name}> closes nothing open`);
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(", ")}`);
  const stray = text.replace(/<[^>]*>/g, "").match(/[<>]|&(?!amp;|lt;|gt;|quot;)/);
  if (stray) problems.push(`unescaped ${stray[0]} in text`);
  if (/NaN|undefined|Infinity/.test(text)) problems.push("holds NaN, undefined or Infinity");
  return problems;
}

describe("npm run bench -- --quick", () => {
  const out = mkdtempSync(join(tmpdir(), "bench-quick-test-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("runs every topic against the cluster and writes a report with well-formed SVG figures", { timeout: 600_000 }, async () => {
    const { conf, pool } = inject("ceph");
    const t0 = Date.now();
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        "npm",
        ["run", "--silent", "bench", "--", "--quick", "--out", out],
        { cwd: ROOT, env: { ...process.env, CEPH_CONF: conf, CEPH_POOL: pool }, maxBuffer: 64 * 1024 * 1024, timeout: 540_000, killSignal: "SIGINT" },
        (e, stdout, stderr) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    process.stderr.write(
      `bench --quick took ${Math.round((Date.now() - t0) / 1000)} s (${r.stderr
        .split("\n")
        .filter((l) => l.startsWith("bench: ===") && l.includes("done in"))
        .map((l) => l.slice(11))
        .join("; ")})\n`,
    );
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    expect(r.stdout.trim()).toBe(join(out, "report.md"));

    const report = readFileSync(join(out, "report.md"), "utf8");
    expect(report).toMatch(/^# Benchmarks/);
    expect(report).toContain("Quick mode");
    expect(report).toMatch(/\| machine \| \d+ CPU/);
    expect(report).toMatch(/\| software \| ceph version \d+/);
    expect(report).toMatch(/\| load average \(1 min\) \| median [\d.]+/);
    expect(report).toContain("## Headline");
    for (const t of TOPICS) expect(report).toContain(`## ${t}`);
    expect(report).not.toContain("## Failures");

    const linked = [...report.matchAll(/!\[[^\]]+\]\(([^)]+)\)/g)].map((m) => m[1]!);
    const svgs = readdirSync(out).filter((f) => f.endsWith(".svg"));
    expect(linked.length).toBeGreaterThanOrEqual(8);
    expect(new Set(linked)).toEqual(new Set(svgs));
    for (const f of svgs) expect(svgProblems(readFileSync(join(out, f), "utf8")), f).toEqual([]);

    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as {
      mode: string;
      sections: { id: string; data: unknown }[];
      failures: unknown[];
    };
    expect(results.mode).toBe("quick");
    expect(results.sections.map((s) => s.id)).toEqual([
      "startup",
      "service",
      "listing",
      "volume-reads",
      "gc",
      "gc-memory",
      "scale",
      "datapath",
      "cbt",
      "revert",
    ]);
    for (const s of results.sections) expect(s.data, s.id).toBeTruthy();
    expect(results.failures).toEqual([]);
    expect(existsSync(join(out, "report.md"))).toBe(true);
  });
});
