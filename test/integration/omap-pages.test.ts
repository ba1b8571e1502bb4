// A whole omap listing is read page by page (plugins/ceph/rados.ts omapList): neither the session
// nor Node holds a large object's omap as one answer, and no page boundary loses or repeats an
// entry, whatever the OSD's own cap on entries per request (osd_max_omap_entries_per_request).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { omapList, omapUpdate } from "../../plugins/ceph/rados.js";
import { closeSessions } from "../../plugins/ceph/session.js";
import { cephCalls } from "../../plugins/ceph/stats.js";
import { createLogger } from "../../plugins/log.js";
import { parseSrPlace } from "../../volume/sr/sr-place.js";
import { makeSr, type TestSr } from "../helpers/sr.js";

const log = createLogger("omap-pages-test");
const OBJ = "omap-pages-test";
// Over two of the listing's pages (4096), and over many of the OSD's (1024 by default).
const N = 9000;

let s: TestSr;
beforeAll(async () => {
  s = await makeSr();
});
afterAll(() => closeSessions());

describe("a whole omap listing", () => {
  it("returns every entry once, in key order, across pages", async () => {
    const place = parseSrPlace(s.sr);
    const keys = Array.from({ length: N }, (_, i) => `k${String(i).padStart(5, "0")}`);
    for (let i = 0; i < N; i += 1000) await omapUpdate(place, log, OBJ, Object.fromEntries(keys.slice(i, i + 1000).map((k) => [k, `v-${k}`])));
    const before = cephCalls.omapEntries;
    const got = await omapList(place, log, OBJ);
    expect(cephCalls.omapEntries - before).toBe(N);
    expect([...got.keys()]).toEqual(keys);
    expect(got.get("k08999")).toBe("v-k08999");
  });
});
