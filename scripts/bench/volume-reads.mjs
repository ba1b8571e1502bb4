// Per-volume verbs against the SR's size: Volume.stat and Volume.set on one volume of an SR of 10
// volumes and of one of 2,000 (both filled through Volume.create), interleaved so that both see
// the same load; wall time and the omap entries each read (from the verb's own cost line).
import { log } from "./base.mjs";
import { callVerb } from "./commands.mjs";
import { fillVolumes, withSr } from "./sr.mjs";
import { fmt, fmtRatio, fmtSummary, pairedRatio, summary, table } from "./stats.mjs";

const VERBS = [
  ["Volume.stat", () => ({})],
  ["Volume.set", (i) => ({ k: "bench", v: String(i) })],
];

async function measure(srs, n) {
  const rows = [];
  for (const [verb, params] of VERBS) {
    const ms = srs.map(() => []);
    const entries = srs.map(() => undefined);
    for (let i = 0; i < n; i++) {
      for (const [j, s] of srs.entries()) {
        const r = await callVerb(verb, { sr: s.sr, key: s.key, ...params(i) });
        ms[j].push(r.ms);
        entries[j] = r.entries;
      }
    }
    rows.push({ verb, points: srs.map((s, j) => ({ volumes: s.volumes, ms: summary(ms[j]), entries: entries[j] })), ratio: pairedRatio(ms[1], ms[0]) });
    log(`volume-reads: ${verb}: ${srs.map((s, j) => `${s.volumes} volumes ${fmt(summary(ms[j]).median)} ms`).join(", ")}`);
  }
  return rows;
}

export default {
  id: "volume-reads",
  title: "Per-volume verbs against the SR's size",
  async run({ quick, runs }) {
    const [small, big] = quick ? [3, 10] : [10, 2000];
    const n = runs(20, 2);
    const rows = await withSr(
      "bench volume-reads small",
      (a) =>
        withSr(
          "bench volume-reads big",
          async (b) => {
            const [va] = await fillVolumes(a.sr, 0, small, "reads-small");
            const [vb] = await fillVolumes(b.sr, 0, big, "reads-big");
            return measure(
              [
                { sr: a.sr, key: va.key, volumes: small },
                { sr: b.sr, key: vb.key, volumes: big },
              ],
              n,
            );
          },
          { keepOnThrowaway: true },
        ),
      { keepOnThrowaway: true },
    );
    const markdown = [
      `Two SRs filled through Volume.create to ${small} and ${big} thin volumes; ${n} runs of each verb on one volume of each, interleaved. Entries: the omap entries the verb read (its cost line).`,
      "",
      table(
        ["verb", `ms at ${small}`, `entries at ${small}`, `ms at ${big}`, `entries at ${big}`, `${big} / ${small} (per run)`],
        rows.map((r) => [
          r.verb,
          fmtSummary(r.points[0].ms),
          r.points[0].entries,
          fmtSummary(r.points[1].ms),
          r.points[1].entries,
          fmtSummary(r.ratio, fmtRatio),
        ]),
      ),
    ].join("\n");
    const stat = rows[0];
    return {
      markdown,
      headline: [
        {
          what: `Volume.stat at ${big} volumes vs at ${small}`,
          ours: `${fmt(stat.points[1].ms.median)} ms, ${stat.points[1].entries} entries`,
          theirs: `${fmt(stat.points[0].ms.median)} ms, ${stat.points[0].entries} entries`,
          ratio: stat.ratio,
          of: `at ${big} / at ${small} (time)`,
        },
      ],
      data: rows,
    };
  },
};
