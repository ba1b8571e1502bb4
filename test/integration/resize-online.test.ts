// Volume.resize of an active volume (VDI_RESIZE_ONLINE) on a real cluster: the rbd+nbd export
// grows where it can and is refused with nothing changed where it cannot; kernel RBD grows from
// any host.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { call, fail } from "../helpers/run-verb.js";
import type { WireVolume } from "../helpers/sr.js";
import {
  HOST_A,
  HOST_B,
  MiB,
  s,
  run,
  host,
  ceph,
  dp,
  io,
  nbdOf,
  imageOf,
  activationText,
  forge,
  rados,
  fenceWorld,
  type Backend,
} from "../helpers/fence-world.js";

fenceWorld();

const start = async (size: number, name: string) => {
  const v = await call<WireVolume>("Volume.create", { sr: s.sr, name, description: "", size, sharable: false });
  const uri = v.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
  const nbd = nbdOf(await dp<Backend>("attach", uri, "3", host(HOST_A)));
  await dp("activate", uri, "3", host(HOST_A));
  return { key: v.key, uri, nbd, image: imageOf(uri) };
};
const stop = async (uri: string) => {
  await dp("deactivate", uri, "3", host(HOST_A));
  await dp("detach", uri, "3", host(HOST_A));
};
const spec = (image: string) => `${s.pool}/${s.namespace}/${image}`;
const imageSize = (image: string) => (JSON.parse(ceph("rbd", ["info", "--format", "json", spec(image)])) as { size: number }).size;
const exportSize = (nbd: string) => {
  const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd);
  const info = execFileSync("qemu-img", ["info", "--output=json", `nbd+unix:///${m?.[2]}?socket=${m?.[1]}`], { encoding: "utf8" });
  return (JSON.parse(info) as { "virtual-size": number })["virtual-size"];
};
const opEntries = () =>
  rados(["listomapkeys", "ceph_rbd_sr"])
    .split("\n")
    .filter((k) => k.startsWith("op:"));
const stat = (key: string) => call<WireVolume>("Volume.stat", { sr: s.sr, key });

// What a refused resize must leave as it was.
async function unchanged(v: { key: string; image: string }, size: number, act: string | undefined) {
  expect(imageSize(v.image)).toBe(size);
  expect((await stat(v.key)).virtual_size).toBe(size);
  expect(activationText(v.key)).toBe(act);
  expect(opEntries()).toEqual([]);
}

describe("Volume.resize of a volume active on the rbd+nbd datapath", () => {
  it("grows the live export on its host: data before reads back, the export reports the new size, writes past the old end land", async () => {
    const v = await start(8 * MiB, "grow");
    io(v.nbd, "write -P 0x5a 0 8M");
    await call("Volume.resize", { sr: s.sr, key: v.key, new_size: 24 * MiB }, host(HOST_A));
    expect(exportSize(v.nbd)).toBe(24 * MiB);
    expect(imageSize(v.image)).toBe(24 * MiB);
    expect((await stat(v.key)).virtual_size).toBe(24 * MiB);
    expect(io(v.nbd, "read -P 0x5a 0 8M")).toMatch(/read 8388608\/8388608/);
    io(v.nbd, "write -P 0x6b 8M 16M");
    expect(io(v.nbd, "read -P 0x6b 8M 16M")).toMatch(/read 16777216\/16777216/);
    expect(io(v.nbd, "read -P 0x5a 0 8M")).toMatch(/read 8388608\/8388608/);
    // The daemon's monitor, which controls it, is its owner's alone.
    const qmp = readdirSync(join(run, HOST_A, "nbd")).filter((f) => f.endsWith(".qmp"));
    expect(qmp.map((f) => statSync(join(run, HOST_A, "nbd", f)).mode & 0o777)).toEqual([0o600]);
    await stop(v.uri);
  });

  it("is refused with nothing changed on another host (the export's monitor is reachable only where it runs)", async () => {
    const v = await start(8 * MiB, "elsewhere");
    const act = activationText(v.key);
    const e = await fail("Volume.resize", { dbg: "t", sr: s.sr, key: v.key, new_size: 16 * MiB }, host(HOST_B));
    expect(e.code).toBe("SR_BACKEND_FAILURE_24");
    expect(e.params[0]).toBe("VDIInUse");
    expect(e.params[1]).toMatch(
      new RegExp(`^volume ${v.key} is active on host ${HOST_A} and cannot grow while it runs: its rbd\\+nbd export runs on that host`),
    );
    await unchanged(v, 8 * MiB, act);
    expect(exportSize(v.nbd)).toBe(8 * MiB);
    await stop(v.uri);
  });

  it("is refused with nothing changed while a client is connected to the export (NBD cannot tell it the new size)", async () => {
    const v = await start(8 * MiB, "connected");
    const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(v.nbd);
    // A client that stays connected, as the VM's Xen backend does.
    const client = spawn("qemu-io", ["-f", "raw", `nbd+unix:///${m?.[2]}?socket=${m?.[1]}`], { stdio: ["pipe", "pipe", "pipe"] });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const act = activationText(v.key);
      const e = await fail("Volume.resize", { dbg: "t", sr: s.sr, key: v.key, new_size: 16 * MiB }, host(HOST_A));
      expect(e.params[0]).toBe("VDIInUse");
      expect(e.params[1]).toMatch(/a client \(the VM's Xen backend\) is connected to its NBD export/);
      await unchanged(v, 8 * MiB, act);
    } finally {
      client.kill("SIGKILL");
    }
    // The export is still served, at its size.
    expect(exportSize(v.nbd)).toBe(8 * MiB);
    io(v.nbd, "write -P 0x11 0 8M");
    await stop(v.uri);
  });
});

describe("Volume.resize of a volume active on kernel RBD", () => {
  // The mapping takes the new size from the image header wherever the resize runs; xapi runs it
  // on the pool master, so a host other than the VM's grows the image. No kernel RBD here: the
  // activation record is written as the rbd datapath writes it.
  it("is declared: xapi resizes an attached disk only with VDI_RESIZE_ONLINE", async () => {
    expect((await call<{ features: string[] }>("Plugin.Query", {})).features).toContain("VDI_RESIZE_ONLINE");
  });

  it("grows the image from any host, the activation record untouched", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "krbd", description: "", size: 8 * MiB, sharable: false });
    const image = imageOf(v.uri[0] ?? "");
    const act = JSON.stringify({ host: HOST_A, domain: "3", scheme: "rbd", since: new Date().toISOString(), clients: ["192.0.2.1:0/1"] });
    forge(v.key, act);
    await call("Volume.resize", { sr: s.sr, key: v.key, new_size: 16 * MiB }, host(HOST_B));
    expect(imageSize(image)).toBe(16 * MiB);
    expect((await stat(v.key)).virtual_size).toBe(16 * MiB);
    expect(activationText(v.key)).toBe(act);
    const shrink = await fail("Volume.resize", { dbg: "t", sr: s.sr, key: v.key, new_size: 8 * MiB }, host(HOST_B));
    expect(shrink.code).toBe("SR_BACKEND_FAILURE_79");
    rados(["rmomapkey", "ceph_rbd_sr", `act:${v.key}`]);
  });
});
