import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FEATURE_BITS, featuresToDisable, kernelFeatures } from "../../plugins/ceph/krbd.js";

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
