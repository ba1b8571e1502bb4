// GC flatten throughput against `rbd flatten`. The clone to flatten is what the GC meets in
// practice: a volume's head after a native revert whose snapshot was then destroyed (an orphaned
// clone). Three ways, each on a fresh clone of the same data, in rotating order:
//   GC (mgr)   `ceph-rbd-admin gc run --sr SR --json` (the flatten queued as an mgr rbd_support
//              task, the default) until `rbd info` shows the head without a parent (polled every
//              250 ms from the pass's start);
//   GC (own)   the same with CEPH_RBD_GC_MGR=off: the GC flattens through its own worker;
//   rbd flatten  `rbd flatten --no-progress`, process wall time.
import { barChart } from "./svg.mjs";
import { log, MiB, sleep } from "./base.mjs";
import { admin, callVerb, ceph, rbdFill } from "./commands.mjs";
import { collect, volumeSpec, withSr } from "./sr.mjs";
import { state } from "./state.mjs";
import { fmt, fmtRatio, fmtSummary, pairedRatio, sizeText, summary, table } from "./stats.mjs";

const METHODS = ["gc-mgr", "plain", "gc-local"];
const LABEL = { "gc-mgr": "GC (mgr task)", plain: "rbd flatten", "gc-local": "GC (own worker)" };
const DEADLINE_MS = 20 * 60_000;

const hasParent = async (spec) => "parent" in JSON.parse((await ceph("rbd", ["info", "--format", "json", spec])).stdout);

// create, fill, snapshot, revert to it, destroy the snapshot: the head is an orphaned clone.
async function orphanedClone(s, mib, tag) {
  const v = (await callVerb("Volume.create", { sr: s.sr, name: `flatten-${tag}`, description: "bench", size: mib * MiB, sharable: false })).json;
  await rbdFill(volumeSpec(v).spec, `${mib}M`, 16);
  const snap = (await callVerb("Volume.snapshot", { sr: s.sr, key: v.key })).json;
  await callVerb("Volume.revert", { sr: s.sr, key: v.key, snapshot: snap.key });
  await callVerb("Volume.destroy", { sr: s.sr, key: snap.key });
  const spec = volumeSpec((await callVerb("Volume.stat", { sr: s.sr, key: v.key })).json).spec;
  if (!(await hasParent(spec))) throw new Error(`after revert and the snapshot's destroy, ${spec} has no parent`);
  return { key: v.key, spec };
}

// From the first `gc run` until the head has no parent, polled every 250 ms from the start (the
// pass goes on after handing the flatten off: the flatten's end is the figure, not the pass's); a
// pass that did not flatten it (heavy work paused on an unhealthy cluster) is followed by another
// after 5 s.
async function timeGc(s, spec, env) {
  const t0 = Date.now();
  let passes = 0;
  let flat = false;
  const poll = (async () => {
    while (!flat && !state.interrupted && Date.now() - t0 < DEADLINE_MS) {
      if (!(await hasParent(spec))) return ((flat = true), Date.now() - t0);
      await sleep(250);
    }
    if (state.interrupted) throw new Error("interrupted");
    throw new Error(`${spec} still has a parent ${DEADLINE_MS / 60000} min after the first gc run (${passes} passes)`);
  })();
  const image = spec.split("/").pop();
  for (;;) {
    const j = (await admin(["gc", "run", "--sr", s.sr, "--json"], { env, allowFail: true })).json ?? {};
    passes++;
    if (flat || (j.done ?? []).some((d) => d.includes(image) && /flatten/.test(d))) break;
    await Promise.race([poll, sleep(5000)]);
    if (flat) break;
  }
  return { ms: await poll, passes };
}

// Pacific's mgr takes the msgr2 mode of its connections, rbd_support's to the OSDs included, from
// its ms_mon_service_mode: with `secure` first (Ceph's default), every byte a mgr task flattens is
// encrypted on both ends, which `rbd flatten` (ms_client_mode, `crc` first) does not pay.
async function mgrMode() {
  try {
    const mode = (await ceph("ceph", ["config", "get", "mgr", "ms_mon_service_mode"])).stdout.trim();
    const secure = /^secure/.test(mode);
    return `The mgr's \`ms_mon_service_mode\` in the cluster's configuration: \`${mode}\`, so its rbd_support module reads and writes the OSDs ${secure ? "encrypted (msgr2 secure mode, Ceph's default)" : "in crc mode"}; \`rbd flatten\` uses \`ms_client_mode\`, crc first by default (README, figures).`;
  } catch (e) {
    return `The mgr's \`ms_mon_service_mode\` could not be read (${e.message.split("\n")[0]}).`;
  }
}

export default {
  id: "gc",
  title: "GC flatten throughput against rbd flatten",
  async run({ quick, runs, figure }) {
    // Throughput: the larger the clone, the less a pass's fixed cost (start-up, listing, hand-off)
    // weighs against the copy itself.
    const sizes = quick ? [16] : [256, 1024, 4096];
    const n = runs(3, 1);
    const rows = await withSr("bench gc SR", async (s) => {
      const out = [];
      for (const mib of sizes) {
        const row = { mib, "gc-mgr": [], plain: [], "gc-local": [], passes: [] };
        out.push(row);
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < METHODS.length; i++) {
            const method = METHODS[(i + r) % METHODS.length];
            const c = await orphanedClone(s, mib, `${mib}-${r}-${method}`);
            const t =
              method === "plain"
                ? { ms: (await ceph("rbd", ["flatten", "--no-progress", c.spec])).ms }
                : await timeGc(s, c.spec, method === "gc-local" ? { CEPH_RBD_GC_MGR: "off" } : {});
            row[method][r] = (mib * 1000) / t.ms;
            if (t.passes > 1) row.passes.push(`${method} run ${r + 1}: ${t.passes} passes`);
            log(`gc: ${sizeText(mib)} ${LABEL[method]} #${r + 1}: ${(t.ms / 1000).toFixed(2)} s, ${fmt((mib * 1000) / t.ms)} MiB/s`);
            // Untimed: the volume goes and the GC collects, so that the next pass finds only its own
            // clone (--quick leaves that to the SR's clean-up).
            await callVerb("Volume.destroy", { sr: s.sr, key: c.key });
            if (!quick) await collect(s.sr);
          }
        }
      }
      return out;
    });
    const svg = barChart({
      title: "Flatten throughput of an orphaned clone",
      unit: "MiB/s",
      series: METHODS.map((m) => LABEL[m]),
      groups: rows.map((r) => ({ label: `${sizeText(r.mib)} clone`, bars: METHODS.map((m) => summary(r[m])) })),
    });
    const markdown = [
      `Each size: ${n} run(s) of the three methods, each on a fresh orphaned clone of that much written data, in rotating order. MiB/s, median (min–max); ratios per run (GC against the \`rbd flatten\` of the same run).`,
      "",
      await mgrMode(),
      "",
      figure("gc-flatten", "GC flatten throughput against rbd flatten", svg),
      "",
      table(
        ["clone", "GC (mgr task)", "rbd flatten", "GC (own worker)", "GC mgr / rbd flatten", "GC own / rbd flatten"],
        rows.map((r) => [
          sizeText(r.mib),
          fmtSummary(summary(r["gc-mgr"])),
          fmtSummary(summary(r.plain)),
          fmtSummary(summary(r["gc-local"])),
          fmtSummary(pairedRatio(r["gc-mgr"], r.plain), fmtRatio),
          fmtSummary(pairedRatio(r["gc-local"], r.plain), fmtRatio),
        ]),
      ),
      ...(rows.some((r) => r.passes.length)
        ? ["", `More than one GC pass was needed: ${rows.flatMap((r) => r.passes.map((p) => `${sizeText(r.mib)} ${p}`)).join("; ")}.`]
        : []),
    ].join("\n");
    const big = rows[rows.length - 1];
    return {
      markdown,
      headline: [
        {
          what: `flatten of a ${sizeText(big.mib)} clone`,
          ours: `GC ${fmt(summary(big["gc-mgr"])?.median)} MiB/s`,
          theirs: `rbd flatten ${fmt(summary(big.plain)?.median)} MiB/s`,
          ratio: pairedRatio(big["gc-mgr"], big.plain),
          of: "GC / rbd flatten (MiB/s)",
        },
      ],
      data: rows,
    };
  },
};
