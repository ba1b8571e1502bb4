// Verb start-up against `node -e 0`, and what every volume verb costs: wall time from spawn to
// exit and the Ceph CLI calls it makes (from its own stderr cost line).
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { barChart } from "./svg.mjs";
import { GiB, log } from "./base.mjs";
import { callVerb, ceph, cephArgs } from "./commands.mjs";
import { childEnv, XAPI_LOGGING } from "./env.mjs";
import { pool, run } from "./process.mjs";
import { newVolume, srConfiguration, volumeSpec, withSr } from "./sr.mjs";
import { cluster, tree } from "./state.mjs";
import { againstNode, instructionsHeadline, instructionsText } from "./instructions.mjs";
import { fmt, fmtRatio, fmtSummary, pairedRatio, summary, table } from "./stats.mjs";

// Peak RSS of one child, as the kernel counts it (getrusage of children, KiB on Linux).
function peakRssMiB(cmd, args, input) {
  const probe =
    "import resource,subprocess,sys; subprocess.run(sys.argv[1:], input=sys.stdin.buffer.read(), stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
  const r = spawnSync("python3", ["-c", probe, cmd, ...args], { input, env: childEnv({ CEPH_RBD_LOG_STDERR: "off" }), encoding: "utf8" });
  return Number(r.stdout.trim()) / 1024;
}

// `Plugin.Query --json` and `node -e 0` interleaved, so that both see the same load.
async function startUp(runs) {
  const query = join(tree.volume, "Plugin.Query");
  const env = childEnv(XAPI_LOGGING);
  const once = async (cmd, args, input) => {
    const r = await run(cmd, args, { input, env });
    if (r.code !== 0) throw new Error(`${cmd} exited ${r.code}: ${r.stderr}`);
    return r.ms;
  };
  const input = '{"dbg":"bench"}';
  await once(query, ["--json"], input); // the page cache, for both
  await once(process.execPath, ["-e", "0"]);
  const node = [];
  const verb = [];
  for (let i = 0; i < runs; i++) {
    node.push(await once(process.execPath, ["-e", "0"]));
    verb.push(await once(query, ["--json"], input));
  }
  const rssRuns = Math.min(runs, 5);
  return {
    node: summary(node),
    verb: summary(verb),
    ratio: pairedRatio(verb, node),
    nodeRss: summary(Array.from({ length: rssRuns }, () => peakRssMiB(process.execPath, ["-e", "0"], ""))),
    verbRss: summary(Array.from({ length: rssRuns }, () => peakRssMiB(query, ["--json"], input))),
  };
}

// Every verb `runs` times in one SR, in an order where each finds what it needs.
async function perVerb(runs) {
  const rows = [];
  const measure = async (label, verb, params, after) => {
    const row = { label, ms: [], calls: [], cli: [] };
    rows.push(row);
    for (let i = 0; i < runs; i++) {
      const p = params(i);
      const r = await callVerb(verb, p);
      row.ms.push(r.ms);
      row.calls.push(r.calls);
      row.cli.push(r.cli);
      after?.(r.json, i, p);
    }
    log(`startup: ${label} ${fmt(summary(row.ms).median)} ms, ${row.calls[0]} Ceph calls (${row.cli[0]} CLI)`);
  };
  const baselines = [];
  await withSr("bench per-verb SR", async ({ sr, config, namespace }) => {
    const plain = [];
    await measure(
      "Volume.create",
      "Volume.create",
      (i) => ({ sr, name: `plain-${i}`, description: "bench", size: GiB, sharable: false }),
      (v) => plain.push(v),
    );
    const [a, ...heads] = (await pool(runs + 1, 4, (i) => newVolume(sr, i ? `head-${i}` : "A", GiB))).map((r) => r.json);
    await measure("SR.stat", "SR.stat", () => ({ sr }));
    await measure("SR.ls", "SR.ls", () => ({ sr }));
    await measure("SR.set_name", "SR.set_name", (i) => ({ sr, new_name: `bench ${i}` }));
    await measure("SR.set_description", "SR.set_description", (i) => ({ sr, new_description: `bench ${i}` }));
    await measure("Volume.stat", "Volume.stat", () => ({ sr, key: a.key }));
    await measure("Volume.set", "Volume.set", (i) => ({ sr, key: a.key, k: `k${i}`, v: `v${i}` }));
    await measure("Volume.unset", "Volume.unset", (i) => ({ sr, key: a.key, k: `k${i}` }));
    await measure("Volume.set_name", "Volume.set_name", (i) => ({ sr, key: a.key, new_name: `A ${i}` }));
    await measure("Volume.set_description", "Volume.set_description", (i) => ({ sr, key: a.key, new_description: `A ${i}` }));
    await measure("Volume.resize", "Volume.resize", (i) => ({ sr, key: a.key, new_size: GiB + (i + 1) * 64 * 1024 * 1024 }));
    // Snapshots S_i of heads H_i, then second snapshots T_i to clone from, so that the S_i
    // destroyed below have no clone of their own.
    const snaps = [];
    await measure(
      "Volume.snapshot",
      "Volume.snapshot",
      (i) => ({ sr, key: heads[i].key }),
      (v) => snaps.push(v),
    );
    const sources = (await pool(runs, 4, (i) => callVerb("Volume.snapshot", { sr, key: heads[i].key }))).map((r) => r.json);
    await measure("Volume.clone (of a snapshot)", "Volume.clone", (i) => ({ sr, key: sources[i].key }));
    await measure("Volume.clone (of a writable volume)", "Volume.clone", () => ({ sr, key: a.key }));
    await measure("Volume.revert", "Volume.revert", (i) => ({ sr, key: heads[i].key, snapshot: sources[i].key }));
    await measure("Volume.destroy (plain head)", "Volume.destroy", (i) => ({ sr, key: plain[i].key }));
    await measure("Volume.destroy (head with snapshots)", "Volume.destroy", (i) => ({ sr, key: heads[i].key }));
    await measure("Volume.destroy (snapshot)", "Volume.destroy", (i) => ({ sr, key: snaps[i].key }));
    await measure("SR.attach", "SR.attach", () => ({ configuration: config }));
    await measure("SR.probe", "SR.probe", () => ({ configuration: srConfiguration() }));
    await measure("Plugin.Query", "Plugin.Query", () => ({}));
    await measure("Plugin.diagnostics", "Plugin.diagnostics", () => ({}));
    // Empty SRs, created then destroyed.
    const extra = [];
    await measure(
      "SR.create",
      "SR.create",
      () => ({ uuid: randomUUID(), configuration: srConfiguration(), name: "bench empty SR", description: "bench" }),
      (c) => extra.push(c),
    );
    const attached = [];
    for (const c of extra) attached.push((await callVerb("SR.attach", { configuration: c })).json);
    await measure("SR.destroy (empty SR)", "SR.destroy", (i) => ({ sr: attached[i] }));
    // One Ceph CLI call, for scale.
    for (const [label, tool, args] of [
      ["rbd info (one Ceph CLI call)", "rbd", ["info", volumeSpec(a).spec]],
      ["rados listomapvals (one Ceph CLI call)", "rados", ["--pool", cluster.pool, "--namespace", namespace, "listomapvals", "ceph_rbd_sr"]],
    ]) {
      const ms = [];
      for (let i = 0; i < runs; i++) ms.push((await ceph(tool, args)).ms);
      baselines.push({ label, command: `${tool} ${[...cephArgs(), ...args].join(" ")}`, ms: summary(ms) });
    }
    await measure("SR.detach", "SR.detach", () => ({ sr }));
  });
  return { rows, baselines };
}

export default {
  id: "startup",
  title: "Verb start-up and Ceph calls per verb",
  async run({ quick, runs, figure }) {
    const s = await startUp(quick ? 5 : 30);
    const ins = quick
      ? undefined
      : await againstNode("startup", "Plugin.Query --json", 3, [join(tree.volume, "Plugin.Query"), "--json"], '{"dbg":"bench"}', childEnv(XAPI_LOGGING));
    const insText = quick ? "Instruction count: skipped with --quick (valgrind, about 20 s a run)." : instructionsText(ins, "Plugin.Query");
    const v = await perVerb(runs(5, 1));
    const startSvg = barChart({
      title: "Start-up: Plugin.Query --json against node -e 0",
      unit: "ms, spawn to exit",
      series: ["wall time"],
      groups: [
        { label: "node -e 0", bars: [s.node] },
        { label: "Plugin.Query --json", bars: [s.verb] },
      ],
    });
    const callsSvg = barChart({
      title: "Ceph calls per verb",
      unit: "Ceph operations (librados session or CLI process)",
      series: ["Ceph calls", "of which CLI processes"],
      groups: v.rows.map((r) => ({ label: r.label, bars: [summary(r.calls), summary(r.cli)] })),
    });
    const timeSvg = barChart({
      title: "Wall time per verb",
      unit: "ms, spawn to exit",
      series: ["wall time"],
      groups: [...v.rows.map((r) => ({ label: r.label, bars: [summary(r.ms)] })), ...v.baselines.map((b) => ({ label: b.label, bars: [b.ms] }))],
    });
    const callText = (r, what = "calls") => {
      const c = summary(r[what]);
      return c ? (c.min === c.max ? String(c.min) : `${c.min}–${c.max}`) : "-";
    };
    const markdown = [
      `\`Plugin.Query --json\` and \`node -e 0\` alternate ${quick ? 5 : 30} times (spawn to exit); peak RSS from the kernel's count for the child.`,
      "",
      table(
        ["process", "wall ms: median (min–max)", "peak RSS MiB"],
        [
          ["node -e 0", fmtSummary(s.node), fmt(s.nodeRss?.median)],
          ["Plugin.Query --json", fmtSummary(s.verb), fmt(s.verbRss?.median)],
          ["ratio (per pair)", fmtSummary(s.ratio, fmtRatio), ""],
        ],
      ),
      "",
      insText,
      "",
      figure("startup", "Start-up against node -e 0", startSvg),
      "",
      `Every verb ${runs(5, 1)} time(s), run as xapi-storage-script runs it; the Ceph call counts are the verb's own (its stderr cost line): every operation, and those that started a CLI process (the rest go through the host's session service, on by default, which the first verb started).`,
      "",
      figure("ceph-calls", "Ceph calls per verb", callsSvg),
      "",
      figure("verb-time", "Wall time per verb", timeSvg),
      "",
      table(
        ["verb", "ms: median (min–max)", "Ceph calls", "CLI processes"],
        [
          ...v.rows.map((r) => [r.label, fmtSummary(summary(r.ms)), callText(r), callText(r, "cli")]),
          ...v.baselines.map((b) => [b.label, fmtSummary(b.ms), "1", "1"]),
        ],
      ),
    ].join("\n");
    return {
      markdown,
      headline: [
        {
          what: "verb start-up (Plugin.Query)",
          ours: `${fmt(s.verb?.median)} ms`,
          theirs: `node -e 0: ${fmt(s.node?.median)} ms`,
          ratio: s.ratio,
          of: "Plugin.Query / node -e 0 (time)",
        },
        ...instructionsHeadline(ins, "verb start-up (Plugin.Query)", "Plugin.Query"),
      ],
      data: { startUp: s, instructions: ins, verbs: v.rows, baselines: v.baselines },
    };
  },
};
