// Mixed load: hundreds of verbs (create, snapshot, clone, set, unset, destroy, revert, SR.ls) from
// two simulated hosts, several processes each, on one SR. A seeded PRNG picks each operation
// and its target among the volumes that exist according to a client-side model (racing a
// destroy on purpose now and then). Only the expected refusals are tolerated (and counted):
// Volume_does_not_exist when a destroy of the target was under way or done, Busy when a lock
// wait ran out, the clone depth limit. Checked afterwards:
//  - no lost metadata update: every Volume.set that succeeded is visible, every Volume.unset
//    that succeeded is gone, unless the volume was destroyed;
//  - no key handed out twice, no image shared by two writable volumes;
//  - every SR.ls of the run parsed, listed every volume that certainly existed throughout the
//    call, none that was certainly destroyed before it, and none that no verb ever returned;
//  - the final SR.ls equals the model's surviving set; the SR converges (problemsOf empty once
//    the GC has swept what racing verbs leave to it: the design's "strays").
//
// MIXED_OPS=<n> (default 200, 600 with RELIABILITY_FULL=1), MIXED_SEED=<n>. The seed fixes
// the choices given the model's state, not the interleaving, which the machine decides.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkFinal, checkListings, convergeWithGc } from "../helpers/mixed-checks.js";
import { drive, figures, mixedLoad, trace } from "../helpers/mixed-load.js";
import { makeSr, type TestSr } from "../helpers/sr.js";
import { summary } from "../helpers/summary.js";

const FULL = process.env.RELIABILITY_FULL === "1";
const OPS = Number(process.env.MIXED_OPS ?? (FULL ? 600 : 200));
const SEED = Number(process.env.MIXED_SEED ?? 0x6d1e7) >>> 0;
const WIDTH = 6;

describe("mixed load from two hosts", () => {
  let s: TestSr;
  let run: string;
  beforeAll(async () => {
    s = await makeSr();
    run = mkdtempSync(join(tmpdir(), "mixed-run-"));
  });
  afterAll(() => rmSync(run, { recursive: true, force: true }));

  // A verb takes seconds on a loaded machine, and the GC's passes afterwards minutes.
  it(`${OPS} mixed verbs, ${WIDTH} at a time`, { timeout: 600_000 + OPS * 2500 }, async () => {
    const load = mixedLoad(s, run, SEED);
    const { anomalies, counts, perVerb, listings, durations } = load;

    const t0 = Date.now();
    const ms = await drive(load, 4, OPS, WIDTH);
    trace(
      `${OPS} ops in ${ms} ms; per verb (median ms): ${[...durations].map(([v, d]) => `${v} ${d.sort((a, b) => a - b)[Math.floor(d.length / 2)]}`).join(", ")}`,
    );

    checkListings(load);

    trace(`checks of the listings done at +${Date.now() - t0} ms`);
    const survivors = await checkFinal(s, load);

    trace(`final state checked at +${Date.now() - t0} ms`);
    const beforeGc = await convergeWithGc(s, anomalies);

    const ops = OPS + 4;
    console.log(`mixed load: ${ops} ops, ${anomalies.length} anomalies${anomalies.map((a) => `\n  - ${a}`).join("")}`);
    console.log(
      `mixed load: ${[...perVerb].map(([v, n]) => `${v} ${n}`).join(", ")}; refusals: ${counts.novol} Volume_does_not_exist, ${counts.busy} Busy, ${counts.depth} depth; ${listings.length} SR.ls checked; ${beforeGc.length} strays left to the GC (${beforeGc.slice(0, 5).join("; ")}); ${Math.round(ms / 1000)} s`,
    );
    summary("mixed-load", {
      ops,
      ...figures(load, beforeGc.length, survivors.length, SEED, ms),
    });
    expect(anomalies).toEqual([]);
  });
});
