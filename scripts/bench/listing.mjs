// SR.ls against the number of volumes, next to `rbd ls -l` on the same images (and the one Ceph
// call SR.ls makes, `rados listomapvals`, alone), interleaved so that all see the same load.
import { lineChart } from "./svg.mjs";
import { log } from "./base.mjs";
import { callVerb, ceph } from "./commands.mjs";
import { fillVolumes, withSr } from "./sr.mjs";
import { cluster } from "./state.mjs";
import { fmt, fmtRatio, fmtSummary, pairedRatio, summary, table } from "./stats.mjs";

async function measure(s, count, runs) {
  const srLs = [];
  const rbdLs = [];
  const omap = [];
  let calls;
  for (let i = 0; i < runs; i++) {
    const r = await callVerb("SR.ls", { sr: s.sr });
    if (r.json.length !== count) throw new Error(`SR.ls returned ${r.json.length} volumes, expected ${count}`);
    srLs.push(r.ms);
    calls = r.calls;
    const l = await ceph("rbd", ["ls", "-l", "--format", "json", `${cluster.pool}/${s.namespace}`]);
    if (JSON.parse(l.stdout).length !== count) throw new Error(`rbd ls -l listed ${JSON.parse(l.stdout).length} images, expected ${count}`);
    rbdLs.push(l.ms);
    omap.push((await ceph("rados", ["--pool", cluster.pool, "--namespace", s.namespace, "listomapvals", "ceph_rbd_sr"])).ms);
  }
  log(`listing: ${count} volumes: SR.ls ${fmt(summary(srLs).median)} ms, rbd ls -l ${fmt(summary(rbdLs).median)} ms`);
  return {
    volumes: count,
    calls,
    srLs: summary(srLs),
    rbdLs: summary(rbdLs),
    omap: summary(omap),
    ratio: pairedRatio(srLs, rbdLs),
    raw: { srLs, rbdLs, omap },
  };
}

export default {
  id: "listing",
  title: "SR.ls against the number of volumes",
  async run({ quick, runs, figure }) {
    const counts = quick ? [3, 10] : [10, 100, 1000];
    const n = runs(5, 2);
    const points = await withSr(
      "bench listing SR",
      async (s) => {
        const out = [];
        let have = 0;
        for (const count of counts) {
          await fillVolumes(s.sr, have, count, "list");
          have = count;
          out.push(await measure(s, count, n));
        }
        return out;
      },
      { keepOnThrowaway: true },
    );
    const first = points[0];
    const last = points[points.length - 1];
    const svg = lineChart({
      title: "Listing time against the number of volumes",
      xLabel: "volumes in the SR",
      yLabel: "ms, spawn to exit",
      xLog: true,
      yLog: true,
      series: [
        { name: "SR.ls", points: points.map((p) => ({ x: p.volumes, ...p.srLs })) },
        { name: "rbd ls -l", points: points.map((p) => ({ x: p.volumes, ...p.rbdLs })) },
        { name: "rados listomapvals", points: points.map((p) => ({ x: p.volumes, ...p.omap })) },
      ],
    });
    const growth = (k) => fmtRatio(last[k].median / first[k].median);
    const markdown = [
      `One SR filled to ${counts.join(", ")} thin 1 GiB volumes; at each size ${n} runs of SR.ls, \`rbd ls -l\` on the SR's namespace and \`rados listomapvals\` of the SR's omap object (SR.ls's one Ceph call), interleaved.`,
      "",
      figure("listing", "SR.ls and rbd ls -l against the number of volumes", svg),
      "",
      table(
        ["volumes", "SR.ls ms", "SR.ls Ceph calls", "rbd ls -l ms", "SR.ls / rbd ls -l (per run)", "listomapvals ms"],
        points.map((p) => [p.volumes, fmtSummary(p.srLs), p.calls, fmtSummary(p.rbdLs), fmtSummary(p.ratio, fmtRatio), fmtSummary(p.omap)]),
      ),
      "",
      `From ${first.volumes} to ${last.volumes} volumes: SR.ls ${growth("srLs")}, \`rbd ls -l\` ${growth("rbdLs")}, listomapvals ${growth("omap")} (ratios of medians).`,
    ].join("\n");
    return {
      markdown,
      headline: [
        {
          what: `SR.ls at ${last.volumes} volumes`,
          ours: `${fmt(last.srLs.median)} ms`,
          theirs: `rbd ls -l: ${fmt(last.rbdLs.median)} ms`,
          ratio: last.ratio,
          of: "SR.ls / rbd ls -l (time)",
        },
        { what: `SR.ls growth ${first.volumes} → ${last.volumes} volumes`, ours: growth("srLs"), theirs: `rbd ls -l: ${growth("rbdLs")}` },
      ],
      data: points,
    };
  },
};
