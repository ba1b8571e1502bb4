// SR verbs on a real cluster: an SR is an RBD namespace with one metadata object.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { call, fail, runVerb } from "../helpers/run-verb.js";
import { makeSr, type WireVolume } from "../helpers/sr.js";
import { rbdImages } from "../helpers/rbd-data.js";

describe("SR.create and SR.attach", () => {
  it("creates a namespace and returns the device-config every host needs", async () => {
    const s = await makeSr();
    expect(s.config).toMatchObject({ pool: s.pool, conf: s.conf, user: "admin", sr_uuid: s.uuid, namespace: `sr-${s.uuid}` });
    expect(s.sr).toMatch(/^ceph-rbd:\/\//);
    expect(await call("SR.ls", { sr: s.sr })).toEqual([]);
  });

  it("is idempotent for the same SR and refuses another SR in the same namespace", async () => {
    const s = await makeSr();
    const again = await call("SR.create", { uuid: s.uuid, configuration: s.config, name: "n", description: "d" });
    expect(again).toEqual(s.config);
    const e = await fail("SR.create", {
      dbg: "t",
      uuid: randomUUID(),
      configuration: { pool: s.pool, conf: s.conf, namespace: s.namespace },
      name: "x",
      description: "",
    });
    expect(e.params[0]).toBe("Invalid_request");
  });

  it("attaches from many hosts at once, always to the same sr", async () => {
    const s = await makeSr();
    const all = await Promise.all(Array.from({ length: 8 }, () => call<string>("SR.attach", { configuration: s.config })));
    expect(new Set(all)).toEqual(new Set([s.sr]));
    await call("SR.detach", { sr: s.sr });
    await call("SR.detach", { sr: s.sr });
  });

  it("refuses a pool that does not exist and an SR that does not exist", async () => {
    const { conf } = inject("ceph");
    const e = await fail("SR.create", { dbg: "t", uuid: randomUUID(), configuration: { pool: "no-such-pool", conf }, name: "x", description: "" });
    expect(e.params[0]).toBe("Invalid_request");
    expect(e.params[1]).toMatch(/no-such-pool/);
    const a = await fail("SR.attach", { dbg: "t", configuration: { pool: inject("ceph").pool, conf, sr_uuid: randomUUID() } });
    expect(a.params[0]).toBe("SR_does_not_exist");
  });
});

// A librados session that aborts at its first metadata write (a real cluster cannot crash its
// clients' libraries on cue): SR.create has made its namespace, then fails.
const CRASHING = fileURLToPath(new URL("../helpers/crashing-session.sh", import.meta.url));

describe("SR.create that fails", () => {
  it("leaves nothing in the pool: no namespace, no object", async () => {
    const { conf, pool } = inject("ceph");
    const uuid = randomUUID();
    const env = { CEPH_RBD_PYTHON: CRASHING, CRASH_OP: "omap_update", CRASH_MARKER: join(mkdtempSync(join(tmpdir(), "sr-create-")), "crashed") };
    const r = await runVerb("SR.create", { dbg: "t", uuid, configuration: { pool, conf }, name: "n", description: "d" }, env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/librados session ended/);
    const rbd = (...args: string[]) => execFileSync("rbd", ["-c", conf, ...args], { encoding: "utf8" });
    expect(rbd("namespace", "ls", pool)).not.toContain(uuid);
    expect(execFileSync("rados", ["-c", conf, "-p", pool, "-N", `sr-${uuid}`, "ls"], { encoding: "utf8" })).toBe("");
  });
});

describe("SR.stat, names, probe", () => {
  it("reports pool capacity, the names set through the verbs, and a healthy cluster", async () => {
    const s = await makeSr();
    await call("SR.set_name", { sr: s.sr, new_name: "ceph «prod» $(x)" });
    await call("SR.set_description", { sr: s.sr, new_description: "line1\nline2" });
    const st = await call<Record<string, unknown>>("SR.stat", { sr: s.sr });
    expect(st).toMatchObject({ sr: s.sr, uuid: s.uuid, name: "ceph «prod» $(x)", description: "line1\nline2", datasources: [], clustered: false });
    expect(st.health).toEqual(["Healthy", expect.any(String)]);
    expect(st.total_space).toBeGreaterThan(0);
    expect(st.free_space as number).toBeLessThanOrEqual(st.total_space as number);
  });

  it("finds existing SRs of the pool and flags a half-created one as incomplete", async () => {
    const s = await makeSr();
    const { conf, pool } = inject("ceph");
    const results = await call<Array<{ complete: boolean; configuration: Record<string, string> }>>("SR.probe", { configuration: { pool, conf } });
    const mine = results.find((r) => r.configuration.sr_uuid === s.uuid);
    expect(mine).toMatchObject({ complete: true, sr: { uuid: s.uuid, name: expect.any(String) } });
    for (const r of results) if ("sr_uuid" in r.configuration) expect(r.complete).toBe(true);
    const partial = await call<Array<{ complete: boolean }>>("SR.probe", { configuration: { conf } });
    expect(partial).toEqual([expect.objectContaining({ complete: false })]);
  });
});

describe("SR.destroy", () => {
  it("refuses while volumes remain, then removes the namespace once they are gone", async () => {
    const s = await makeSr();
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "v", description: "", size: 4 << 20, sharable: false });
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    const e = await fail("SR.destroy", { dbg: "t", sr: s.sr });
    expect(e.code).toBe("SR_NOT_EMPTY");
    // The head becomes a tombstone (its snapshot needs it); destroying the snapshot leaves only SR garbage.
    await call("Volume.destroy", { sr: s.sr, key: v.key });
    await call("Volume.destroy", { sr: s.sr, key: snap.key });
    await call("SR.destroy", { sr: s.sr });
    const gone = await fail("SR.stat", { dbg: "t", sr: s.sr });
    expect(gone.params[0]).toBe("SR_does_not_exist");
    expect(() => rbdImages(s.pool, s.namespace)).toThrow();
  });
});

describe("an unreachable cluster", () => {
  it("gives a clear error within a bounded time, and SR.stat says Unreachable", async () => {
    const s = await makeSr();
    // A monitor address where nothing listens stands for a cluster that is down.
    const dead = { ...s.config, monhost: "127.0.0.1:9" };
    const env = { CEPH_RBD_CONNECT_TIMEOUT: "3", CEPH_RBD_OP_TIMEOUT: "3" };
    const started = Date.now();
    const r = await runVerb("SR.attach", { dbg: "t", configuration: dead }, env);
    expect(r.code).not.toBe(0);
    expect((r.json as { params: string[] }).params[0]).toBe("Ceph_unreachable");
    expect(Date.now() - started).toBeLessThan(30_000);
    const sr = s.sr.replace("?", `?monhost=${encodeURIComponent("127.0.0.1:9")}&`);
    const st = await runVerb("SR.stat", { dbg: "t", sr }, env);
    expect(st.code).toBe(0);
    expect((st.json as { health: string[] }).health[0]).toBe("Unreachable");
  });
});
