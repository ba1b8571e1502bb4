// A verb on one volume reads that volume's metadata entries, the SR's own and the journal's, and
// nothing else: the entries it reads (counted in its log line) do not change when 2,000 other
// volumes' entries, and a snapshot of each, join the SR's object.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { omapUpdate } from "../../plugins/ceph/rados.js";
import { closeSessions } from "../../plugins/ceph/session.js";
import { createLogger } from "../../plugins/log.js";
import { META_OBJECT } from "../../plugins/wire/sr-object.js";
import { K, recordEntries } from "../../volume/meta/layout.js";
import { parseSrPlace } from "../../volume/sr/sr-place.js";
import { call, runVerb } from "../helpers/run-verb.js";
import { serviceRunDir } from "../helpers/service.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 2 ** 20;
const OTHERS = 2000;
process.env.CEPH_RBD_RUN_DIR = serviceRunDir();

let s: TestSr;
let v: WireVolume;
beforeAll(async () => {
  s = await makeSr();
  v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "mine", description: "d", size: 4 * MiB, sharable: false });
  await call("Volume.set", { sr: s.sr, key: v.key, k: "vdi-type", v: "user" });
});
afterAll(() => closeSessions());

// The entries a verb read, from its closing log line.
async function entriesRead(verb: string, params: Record<string, unknown>): Promise<number> {
  const run = await runVerb(verb, { dbg: "t", sr: s.sr, ...params });
  expect(run.code, run.stderr).toBe(0);
  const m = /(\d+) omap entries read/.exec(run.stderr);
  expect(m, run.stderr).not.toBeNull();
  return Number(m![1]);
}

const verbs: Array<[string, Record<string, unknown>]> = [
  ["Volume.stat", {}],
  ["Volume.set", { k: "a", v: "b" }],
  ["Volume.unset", { k: "a" }],
  ["Volume.set_name", { new_name: "mine" }],
  ["Volume.set_description", { new_description: "d" }],
  ["Volume.resize", { new_size: 4 * MiB }],
  ["Volume.enable_cbt", {}],
  ["Volume.disable_cbt", {}],
];
const created = () => entriesRead("Volume.create", { name: "n", description: "", size: 0, sharable: false });
// Volume.snapshot and Volume.clone read their source's entries; the new volume's are written.
// Volume.revert reads the head's and the snapshot's.
async function derived(): Promise<number[]> {
  const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
  return [
    await entriesRead("Volume.snapshot", { key: v.key }),
    await entriesRead("Volume.clone", { key: v.key }),
    await entriesRead("Volume.revert", { key: v.key, snapshot: snap.key }),
  ];
}

// Volume.destroy reads the volume's entries and those of the volumes sharing its image (the
// index's range): a head with a snapshot, then that snapshot.
async function destroyed(): Promise<number[]> {
  const h = await call<WireVolume>("Volume.create", { sr: s.sr, name: "h", description: "", size: 0, sharable: false });
  const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: h.key });
  return [await entriesRead("Volume.destroy", { key: h.key }), await entriesRead("Volume.destroy", { key: snap.key })];
}

// Another volume's full set of entries, as the verbs write them, and a snapshot of it.
function another(): Record<string, string> {
  const key = randomUUID();
  const snap = randomUUID();
  const record = { uuid: key, image: `img-${key}`, sharable: false, size: 4 * MiB, created: new Date().toISOString() };
  return {
    [K.vol(key)]: JSON.stringify(record),
    [K.nam(key)]: "other",
    [K.dsc(key)]: "",
    [K.xkey(key, "vdi-type")]: "user",
    [K.use(key)]: "0",
    ...recordEntries(snap, { ...record, uuid: snap, snap, parent: key }),
  };
}

describe("per-volume reads", () => {
  it(`read the same entries with ${OTHERS} other volumes in the SR`, async () => {
    // Once first, so that the volume's own entries (its usage, written by the snapshot) are there.
    const pass = async () => {
      const n: number[] = [];
      for (const [verb, p] of verbs) n.push(await entriesRead(verb, { key: v.key, ...p }));
      return [...n, await created(), ...(await derived()), ...(await destroyed())];
    };
    await pass();
    const before = await pass();
    const place = parseSrPlace(s.sr);
    const log = createLogger("volume-reads-test");
    for (let i = 0; i < OTHERS; i += 200) {
      const batch = Object.assign({}, ...Array.from({ length: 200 }, another)) as Record<string, string>;
      await omapUpdate(place, log, META_OBJECT, batch);
    }
    const ls = await call<WireVolume[]>("SR.ls", { sr: s.sr });
    expect(ls).toHaveLength(2 * OTHERS + 9);
    const after = await pass();
    expect(after).toEqual(before);
    // Few: the SR's entries, the volume's own (its head's and snapshot's for a revert, and for a
    // destroy those of the volumes sharing its image), twice for a verb that checks before it
    // takes the volume's lock.
    for (const n of after) expect(n).toBeLessThanOrEqual(32);
    const stat = await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key });
    expect(stat).toEqual((await call<WireVolume[]>("SR.ls", { sr: s.sr })).find((x) => x.key === v.key));
    expect(stat).toMatchObject({ name: "mine", description: "d", keys: { "vdi-type": "user" } });
  }, 180_000);
});
