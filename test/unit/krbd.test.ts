import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clientAddress, FEATURE_BITS, featuresToDisable, kernelFeatures, mappingClient } from "../../plugins/ceph/krbd.js";

const mask = (...names: string[]) => names.reduce((m, n) => m | (FEATURE_BITS[n] ?? 0), 0);
const ALL = ["layering", "exclusive-lock", "object-map", "fast-diff", "deep-flatten"];

describe("kernel RBD feature negotiation", () => {
  it("reads the kernel's supported features, or none without an rbd module", () => {
    const dir = mkdtempSync(join(tmpdir(), "sysfs-"));
    writeFileSync(join(dir, "supported_features"), "0x3d\n");
    expect(kernelFeatures(dir)).toBe(0x3d);
    expect(kernelFeatures(join(dir, "missing"))).toBeUndefined();
  });

  it.each([
    // A 4.19 kernel (XCP-ng 8.3): layering, striping, exclusive-lock, data-pool.
    ["4.19", mask("layering", "striping", "exclusive-lock", "data-pool"), ["fast-diff", "object-map", "deep-flatten"], []],
    // 5.1: deep-flatten; 5.3: object-map and fast-diff.
    ["5.1", mask("layering", "striping", "exclusive-lock", "data-pool", "deep-flatten"), ["fast-diff", "object-map"], []],
    ["5.3", mask("layering", "striping", "exclusive-lock", "object-map", "fast-diff", "deep-flatten", "data-pool"), [], []],
    ["without exclusive-lock", mask("layering"), ["fast-diff", "object-map", "deep-flatten"], ["exclusive-lock"]],
  ])("a %s kernel: disables what it can, refuses what it cannot", (_k, supported, disable, impossible) => {
    expect(featuresToDisable(ALL, supported)).toEqual({ disable, impossible });
  });

  it("keeps an image with only what the kernel maps as it is", () => {
    expect(featuresToDisable(["layering", "exclusive-lock"], mask("layering", "exclusive-lock"))).toEqual({ disable: [], impossible: [] });
  });
});

// sysfs trees in the kernel's own formats (drivers/block/rbd.c: client_id "client%lld",
// client_addr "%pISpc/%u"): a 4.19 kernel (XCP-ng 8.3's dom0), a 6.1 one over IPv6, and one
// from before client_addr (4.17), where only the global id names the client.
describe("a kernel mapping's client", () => {
  const tree = (k: string) => join(import.meta.dirname, "../fixtures/sysfs-rbd", k);
  const watchers = [
    { address: "10.0.0.12:0/77", client: 5000 },
    { address: "10.0.0.11:0/3187", client: 311 },
  ];

  it.each([
    ["4.19", "/dev/rbd1", { address: "10.0.0.11:0/2947152843", id: 4135 }],
    ["6.1", "/dev/rbd0", { address: "[2001:db8::11]:0/1734095121", id: 88211 }],
    ["4.14", "/dev/rbd0", { address: undefined, id: 311 }],
  ])("a %s kernel: reads %s's client", (k, device, expected) => {
    expect(mappingClient(device, tree(k))).toEqual(expected);
  });

  it("takes the kernel's address where it has one, else resolves the global id against the image's watchers, never another watcher", () => {
    expect(clientAddress(mappingClient("/dev/rbd0", tree("4.19")), watchers)).toBe("10.0.0.11:0/2947152843");
    expect(clientAddress(mappingClient("/dev/rbd0", tree("4.14")), watchers)).toBe("10.0.0.11:0/3187");
    expect(clientAddress({ id: 9 }, watchers)).toBeUndefined();
  });

  it("fails for a device that is not a mapping or has no client", () => {
    expect(() => mappingClient("/dev/sda", tree("4.19"))).toThrow(/not a kernel RBD device/);
    expect(() => mappingClient("/dev/rbd7", tree("4.19"))).toThrow(/ENOENT/);
  });
});
