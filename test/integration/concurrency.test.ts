// Verbs from several processes at once on one SR, as xapi issues them from every host of a pool:
// no lost metadata update, no key or image handed out twice, locks that serialise what must be.
import { beforeAll, describe, expect, it } from "vitest";
import { inspectSr, problemsOf } from "../helpers/inspect.js";
import { checksum, writePattern } from "../helpers/rbd-data.js";
import { call, runVerb } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
let s: TestSr;

const imageOf = (v: WireVolume) => /\/([^/?]+)\?/.exec(v.uri[0] ?? "")?.[1];
const create = (name: string) => call<WireVolume>("Volume.create", { sr: s.sr, name, description: "", size: 4 * MiB, sharable: false });

async function pool<T>(n: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  const queue = jobs.map((job, i) => [i, job] as const);
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) out[next[0]] = await next[1]();
    }),
  );
  return out;
}

beforeAll(async () => {
  s = await makeSr();
});

describe("concurrent verbs", () => {
  it("creates never share a key or an image", async () => {
    const made = await pool(
      8,
      Array.from({ length: 24 }, (_, i) => () => create(`c${i}`)),
    );
    expect(new Set(made.map((v) => v.key)).size).toBe(24);
    expect(new Set(made.map(imageOf)).size).toBe(24);
    const listed = (await call<WireVolume[]>("SR.ls", { sr: s.sr })).map((v) => v.key);
    expect(listed).toEqual(expect.arrayContaining(made.map((v) => v.key)));
  });

  it("loses no key, name or description update made at the same time", async () => {
    const v = await create("target");
    const jobs = [
      ...Array.from({ length: 20 }, (_, i) => () => call("Volume.set", { sr: s.sr, key: v.key, k: `k${i}`, v: `v${i}` })),
      () => call("Volume.set_name", { sr: s.sr, key: v.key, new_name: "renamed" }),
      () => call("Volume.set_description", { sr: s.sr, key: v.key, new_description: "described" }),
    ];
    await pool(8, jobs);
    const st = await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key });
    expect(st.keys).toEqual(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`])));
    expect(st).toMatchObject({ name: "renamed", description: "described" });
  });

  it("serialises snapshots, clones and a destroy of the same volume", async () => {
    const v = await create("busy");
    writePattern(v.uri[0] ?? "", 0x3c, 0, 4 * MiB);
    const sum = await checksum(v.uri[0] ?? "");
    const verbs = ["Volume.snapshot", "Volume.clone", "Volume.snapshot", "Volume.clone", "Volume.destroy", "Volume.snapshot"];
    const runs = await Promise.all(verbs.map((verb) => runVerb(verb, { dbg: "race", sr: s.sr, key: v.key })));
    const made: WireVolume[] = [];
    runs.forEach((r, i) => {
      if (verbs[i] === "Volume.destroy") expect(r.code, r.stdout).toBe(0);
      else if (r.code === 0) made.push(r.json as WireVolume);
      // Ran after the destroy: refused cleanly, nothing half-made.
      else expect((r.json as { params: string[] }).params[0]).toBe("Volume_does_not_exist");
    });
    for (const m of made) expect(await checksum(m.uri[0] ?? "")).toBe(sum);
    const listed = (await call<WireVolume[]>("SR.ls", { sr: s.sr })).map((x) => x.key);
    expect(listed).not.toContain(v.key);
    expect(listed).toEqual(expect.arrayContaining(made.map((m) => m.key)));
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
  });

  it("SR.ls always parses and matches the final state while verbs run", async () => {
    const creates = pool(
      4,
      Array.from({ length: 8 }, (_, i) => () => create(`ls${i}`)),
    );
    const listings = pool(
      2,
      Array.from({ length: 8 }, () => () => call<WireVolume[]>("SR.ls", { sr: s.sr })),
    );
    const [made, seen] = await Promise.all([creates, listings]);
    for (const l of seen) expect(Array.isArray(l)).toBe(true);
    const final = (await call<WireVolume[]>("SR.ls", { sr: s.sr })).map((v) => v.key);
    expect(final).toEqual(expect.arrayContaining(made.map((v) => v.key)));
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
  });
});
