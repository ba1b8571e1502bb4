// A lock cookie is whatever its taker chose: one that reads as an option, taken on the SR's
// metadata object or on an image by any client of the pool, must make the lock inspection fail
// clearly, naming the field, and never reach the `rados lock break` or `rbd lock rm` that
// follows. Real locks on the real cluster; nothing is broken.
import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import type { Place } from "../../plugins/ceph/cluster.js";
import { lockHolders } from "../../plugins/ceph/rados.js";
import { imageLockBreakAll } from "../../plugins/ceph/rbd.js";
import { createLogger } from "../../plugins/log.js";
import { META_OBJECT } from "../../plugins/wire/sr-object.js";
import { makeSr, type TestSr } from "../helpers/sr.js";

const HOSTILE = "--rbd-blocklist-on-break-lock=true";

describe("a hostile lock cookie", () => {
  let t: TestSr;
  let place: Place;
  const log = createLogger("hostile-ceph-output");
  const rados = (...args: string[]) => execFileSync("rados", ["--conf", t.conf, "--pool", t.pool, "--namespace", t.namespace, ...args], { encoding: "utf8" });
  const rbd = (...args: string[]) => execFileSync("rbd", ["--conf", t.conf, ...args], { encoding: "utf8" });

  beforeAll(async () => {
    t = await makeSr();
    place = { cluster: { conf: t.conf, user: "admin" }, pool: t.pool, namespace: t.namespace };
  });

  it("on the SR's metadata object fails the lock inspection, the lock kept", async () => {
    rados("lock", "get", META_OBJECT, "hostile", `--lock-cookie=${HOSTILE}`, "--lock-type", "shared");
    await expect(lockHolders(place, log, META_OBJECT, "hostile")).rejects.toThrow(/rados lock info: unexpected output shape: lockers\.0\.cookie: /);
    const info = JSON.parse(rados("lock", "info", META_OBJECT, "hostile", "--format", "json")) as { lockers: Array<{ cookie: string }> };
    expect(info.lockers.map((l) => l.cookie)).toEqual([HOSTILE]);
  });

  it("on an image fails the lock break, every lock kept", async () => {
    const spec = `${t.pool}/${t.namespace}/hostile-locks`;
    rbd("create", "--size", "4M", "--image-feature", "layering", spec);
    rbd("lock", "add", "--shared", "tag", spec, "plain");
    rbd("lock", "add", "--shared", "tag", spec, "--", HOSTILE);
    await expect(imageLockBreakAll(place, log, "hostile-locks")).rejects.toThrow(/rbd lock ls: unexpected output shape: \d+\.id: /);
    const ids = (JSON.parse(rbd("lock", "ls", "--format", "json", spec)) as Array<{ id: string }>).map((l) => l.id).sort();
    expect(ids).toEqual([HOSTILE, "plain"].sort());
  });
});
