// Discards through the rbd+nbd export on a real cluster: a guest's TRIM of what it wrote gives
// the pool its space back (RBD's own usage, before and after), and the range reads as zeros.
import { describe, expect, it } from "vitest";
import { call } from "../helpers/run-verb.js";
import type { WireVolume } from "../helpers/sr.js";
import { HOST_A, MiB, s, host, ceph, dp, io, nbdOf, imageOf, fenceWorld, type Backend } from "../helpers/fence-world.js";

fenceWorld();

const used = (image: string) =>
  (JSON.parse(ceph("rbd", ["du", "--format", "json", `${s.pool}/${s.namespace}/${image}`])) as { images: Array<{ used_size: number }> }).images[0]?.used_size ??
  0;

describe("discards through the rbd+nbd export", () => {
  it("free the image's space (>= 95% of 1 GiB written) and read back as zeros", async () => {
    const created = await call<WireVolume>("Volume.create", { sr: s.sr, name: "discard", description: "", size: 1024 * MiB, sharable: false });
    const uri = created.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
    const nbd = nbdOf(await dp<Backend>("attach", uri, "3", host(HOST_A)));
    await dp("activate", uri, "3", host(HOST_A));
    const v = { uri, nbd, image: imageOf(uri) };
    io(v.nbd, "write -P 0x33 0 1G");
    const before = used(v.image);
    expect(before).toBeGreaterThanOrEqual(1024 * MiB);
    io(v.nbd, "discard 0 1G");
    const after = used(v.image);
    const returned = (before - after) / before;
    console.log(`discard: rbd du ${before} -> ${after} bytes, ${(returned * 100).toFixed(1)}% returned`);
    expect(returned).toBeGreaterThanOrEqual(0.95);
    expect(io(v.nbd, "read -P 0 0 1G")).toMatch(/read 1073741824\/1073741824/);
    await dp("deactivate", uri, "3", host(HOST_A));
    await dp("detach", uri, "3", host(HOST_A));
  });
});
