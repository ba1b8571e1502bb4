// The datapath plugins on a real cluster, driven as xapi drives them (spec section 9.7):
// Volume.stat for the URI, then Datapath.attach / activate / deactivate / detach.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { call, DATAPATH_DIR, runAdmin, runExecutable, type WireError } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
const HOST_A = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const HOST_B = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";
let s: TestSr;
let run: string;

type Backend = { implementations: Array<[string, Record<string, unknown>]> };

// One simulated host: its own identity and run directory, as two XCP-ng hosts would have.
const host = (id: string) => ({ CEPH_RBD_HOST_UUID: id, CEPH_RBD_RUN_DIR: join(run, id) });

async function dp<T = null>(verb: string, uri: string, domain: string, env: Record<string, string>, scheme = "rbd+nbd"): Promise<T> {
  const r = await runExecutable(join(DATAPATH_DIR(scheme), `Datapath.${verb}`), JSON.stringify({ dbg: `dp-${verb}`, uri, domain }), ["--json"], env);
  if (r.code !== 0) throw Object.assign(new Error(`Datapath.${verb} exited ${r.code}: ${r.stdout}`), { wire: r.json as WireError });
  return r.json as T;
}

const nbdUriOf = (b: Backend) => (b.implementations.find(([k]) => k === "Nbd")?.[1] as { uri: string }).uri;
const qemuUri = (nbd: string) => {
  const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd);
  return `nbd+unix:///${m?.[2]}?socket=${m?.[1]}`;
};
const io = (nbd: string, cmd: string) => execFileSync("qemu-io", ["-f", "raw", "-c", cmd, qemuUri(nbd)], { encoding: "utf8" });

// The VM start sequence: stat, attach, stat, activate; returns the NBD URI.
async function start(key: string, env: Record<string, string>, domain = "7"): Promise<string> {
  const uri = (await call<WireVolume>("Volume.stat", { sr: s.sr, key })).uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
  const backend = await dp<Backend>("attach", uri, domain, env);
  await call("Volume.stat", { sr: s.sr, key });
  await dp("activate", uri, domain, env);
  return nbdUriOf(backend);
}

async function stop(key: string, env: Record<string, string>, domain = "7"): Promise<void> {
  const uri = (await call<WireVolume>("Volume.stat", { sr: s.sr, key })).uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
  await dp("deactivate", uri, domain, env);
  await dp("deactivate", uri, "", env);
  await dp("detach", uri, domain, env);
  await dp("detach", uri, "", env);
}

beforeAll(async () => {
  s = await makeSr({ datapath: "rbd+nbd" });
  run = mkdtempSync(join(tmpdir(), "dp-run-"));
});

describe("rbd+nbd", () => {
  it("lists rbd+nbd first when the SR prefers it", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "p", description: "", size: 4 * MiB, sharable: false });
    expect(v.uri[0]).toMatch(/^rbd\+nbd:\/\//);
    expect(v.uri[1]).toMatch(/^rbd:\/\//);
  });

  it("attach returns XenDisk (qdisk) and Nbd; a VM's writes go through, survive a native revert, and read back byte for byte", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "vm", description: "", size: 16 * MiB, sharable: false });
    const uri = v.uri[0] ?? "";
    const backend = await dp<Backend>("attach", uri, "7", host(HOST_A));
    expect(backend.implementations.map(([k]) => k)).toEqual(["XenDisk", "Nbd"]);
    expect(backend.implementations[0]?.[1]).toMatchObject({ backend_type: "qdisk" });
    await dp("activate", uri, "7", host(HOST_A));
    const nbd = nbdUriOf(backend);
    io(nbd, "write -P 0x42 0 16M");
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    io(nbd, "write -P 0x99 0 8M");
    // Revert refuses while the disk is active, and changes nothing.
    const r = await runExecutable(
      join(DATAPATH_DIR("rbd+nbd"), "..", "..", "volume/org.xen.xapi.storage.ceph-rbd/Volume.revert"),
      JSON.stringify({ dbg: "t", sr: s.sr, key: v.key, snapshot: snap.key }),
    );
    expect((r.json as WireError).code).toBe("SR_BACKEND_FAILURE_24");
    expect((r.json as WireError).params).toEqual([
      "VDIInUse",
      `volume ${v.key} is active on host ${HOST_A}; deactivate it before reverting it (a dead host: ceph-rbd-admin fence)`,
    ]);
    await stop(v.key, host(HOST_A));
    await call("Volume.revert", { sr: s.sr, key: v.key, snapshot: snap.key });
    const again = await start(v.key, host(HOST_A));
    expect(io(again, "read -P 0x42 0 16M")).toMatch(/read 16777216\/16777216/);
    await stop(v.key, host(HOST_A));
    // The same through a clone of the snapshot.
    const clone = await call<WireVolume>("Volume.clone", { sr: s.sr, key: snap.key });
    const c = await start(clone.key, host(HOST_A), "8");
    expect(io(c, "read -P 0x42 0 16M")).toMatch(/read 16777216\/16777216/);
    await stop(clone.key, host(HOST_A), "8");
    // Teardown left no process and no socket.
    expect(readdirSync(join(run, HOST_A, "nbd"))).toEqual([]);
  });

  it("a second host's activate is refused with exactly [Activated_on_another_host, <host uuid>]", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "x", description: "", size: 4 * MiB, sharable: false });
    await start(v.key, host(HOST_A));
    const uri = v.uri[0] ?? "";
    await dp("attach", uri, "3", host(HOST_B));
    const e = await dp("activate", uri, "3", host(HOST_B)).catch((x: { wire: WireError }) => x.wire);
    expect((e as WireError).params).toEqual(["Activated_on_another_host", HOST_A]);
    await dp("detach", uri, "3", host(HOST_B));
    await stop(v.key, host(HOST_A));
    // A sharable volume may be active on both.
    const shared = await call<WireVolume>("Volume.create", { sr: s.sr, name: "shared", description: "", size: 4 * MiB, sharable: true });
    await start(shared.key, host(HOST_A));
    await start(shared.key, host(HOST_B));
    await stop(shared.key, host(HOST_A));
    await stop(shared.key, host(HOST_B));
  });

  it("live migration: attach on the destination, deactivate the source, activate the destination, detach the source", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "mig", description: "", size: 8 * MiB, sharable: false });
    const src = await start(v.key, host(HOST_A), "5");
    io(src, "write -P 0x7a 0 8M");
    const uri = v.uri[0] ?? "";
    const dest = nbdUriOf(await dp<Backend>("attach", uri, "9", host(HOST_B)));
    await dp("deactivate", uri, "5", host(HOST_A));
    await dp("activate", uri, "9", host(HOST_B));
    await dp("deactivate", uri, "5", host(HOST_A));
    await dp("detach", uri, "5", host(HOST_A));
    expect(io(dest, "read -P 0x7a 0 8M")).toMatch(/read 8388608\/8388608/);
    await stop(v.key, host(HOST_B), "9");
  });

  it("detach of a volume that is gone succeeds; a snapshot is exported read-only", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "gone", description: "", size: 4 * MiB, sharable: false });
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    const ro = await start(snap.key, host(HOST_A));
    expect(() => io(ro, "write -P 0x1 0 4k")).toThrow();
    await stop(snap.key, host(HOST_A));
    const uri = v.uri[0] ?? "";
    await call("Volume.destroy", { sr: s.sr, key: v.key });
    await dp("deactivate", uri, "", host(HOST_A));
    await dp("detach", uri, "", host(HOST_A));
  });
});

describe("fencing", () => {
  it("an admin takes a volume over from a dead host: its client can no longer write, the new host can", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "fence", description: "", size: 8 * MiB, sharable: false });
    const a = await start(v.key, host(HOST_A));
    io(a, "write -P 0x11 0 1M");
    const uri = v.uri[0] ?? "";
    await dp("attach", uri, "4", host(HOST_B));
    await expect(dp("activate", uri, "4", host(HOST_B))).rejects.toThrow(/Activated_on_another_host/);
    const refused = await runAdmin(["fence", "--sr", s.sr, "--key", v.key, "--host", HOST_A]);
    expect(refused.code).not.toBe(0);
    const r = await runAdmin(["fence", "--sr", s.sr, "--key", v.key, "--host", HOST_A, "--yes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as { blocklisted: string[] }).blocklisted.length).toBeGreaterThan(0);
    // Host A's server is cut off: its writes fail.
    expect(() => io(a, "write -P 0x22 0 1M")).toThrow();
    await dp("activate", uri, "4", host(HOST_B));
    const b = nbdUriOf(await dp<Backend>("attach", uri, "4", host(HOST_B)));
    io(b, "write -P 0x33 0 1M");
    expect(io(b, "read -P 0x33 0 1M")).toMatch(/read 1048576\/1048576/);
    await stop(v.key, host(HOST_B), "4");
    await dp("detach", uri, "", host(HOST_A));
  });
});

describe("rbd (kernel)", () => {
  it("on a host without kernel RBD, attach fails at once with a clear error", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "k", description: "", size: 4 * MiB, sharable: false });
    const uri = v.uri.find((u) => u.startsWith("rbd://")) ?? "";
    const started = Date.now();
    const e = await dp("attach", uri, "1", { ...host(HOST_A), CEPH_RBD_SYSFS_RBD: join(run, "no-such-sysfs") }, "rbd").catch(
      (x: { wire: WireError }) => x.wire,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect((e as WireError).backtrace.error).toMatch(/kernel RBD is not available/);
    expect(existsSync("/sys/bus/rbd") || (e as WireError).params[0] === "Invalid_request").toBe(true);
    // Detach of something never mapped succeeds.
    await dp("detach", uri, "1", host(HOST_A), "rbd");
  });
});
