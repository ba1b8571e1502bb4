// Kernel RBD: mapping images to /dev/rbdN on this host (`rbd device ...`), and what the
// kernel's rbd module can do. Only the rbd datapath uses it.
import { readFileSync } from "node:fs";
import type { Logger } from "../log.js";
import { clientArgs, type Place } from "./cluster.js";
import { runCeph } from "./exec.js";
import { DeviceList, parseJson } from "./outputs.js";
import { imageSpec } from "./rbd.js";

// librbd's feature bits (include/rbd/features.h).
export const FEATURE_BITS: Readonly<Record<string, number>> = {
  layering: 1 << 0,
  "striping": 1 << 1,
  "exclusive-lock": 1 << 2,
  "object-map": 1 << 3,
  "fast-diff": 1 << 4,
  "deep-flatten": 1 << 5,
  journaling: 1 << 6,
  "data-pool": 1 << 7,
  operations: 1 << 8,
};

// The features this kernel can map (its rbd module's own list), or undefined without one.
export function kernelFeatures(sysfs = process.env.CEPH_RBD_SYSFS_RBD ?? "/sys/bus/rbd"): number | undefined {
  try {
    return parseInt(readFileSync(`${sysfs}/supported_features`, "utf8").trim(), 16);
  } catch {
    return undefined;
  }
}

// What must be disabled on an image before this kernel can map it (only features that can be
// disabled on a live image; anything else makes the image unmappable here).
export function featuresToDisable(imageFeatures: readonly string[], supported: number): { disable: string[]; impossible: string[] } {
  const missing = imageFeatures.filter((f) => FEATURE_BITS[f] !== undefined && ((FEATURE_BITS[f] ?? 0) & supported) === 0);
  const disableable = new Set(["object-map", "fast-diff", "deep-flatten", "journaling"]);
  // fast-diff goes before object-map, which it depends on.
  const order = ["journaling", "fast-diff", "object-map", "deep-flatten"];
  return {
    disable: order.filter((f) => missing.includes(f)),
    impossible: missing.filter((f) => !disableable.has(f)),
  };
}

export async function featureDisable(p: Place, log: Logger, image: string, features: readonly string[]): Promise<void> {
  await runCeph({ tool: "rbd", args: ["feature", "disable", imageSpec(p, image), ...features], connection: clientArgs(p.cluster), log });
}

export async function deviceList(p: Place, log: Logger): Promise<DeviceList> {
  return parseJson(DeviceList, await runCeph({ tool: "rbd", args: ["device", "list", "--format", "json"], connection: clientArgs(p.cluster), log, read: true }), "rbd device list");
}

export async function deviceMap(p: Place, log: Logger, image: string, snap: string | undefined): Promise<string> {
  const args = ["device", "map", ...(snap ? ["--read-only"] : []), imageSpec(p, image, snap)];
  return (await runCeph({ tool: "rbd", args, connection: clientArgs(p.cluster), log })).trim();
}

export async function deviceUnmap(p: Place, log: Logger, device: string): Promise<void> {
  await runCeph({ tool: "rbd", args: ["device", "unmap", device], connection: clientArgs(p.cluster), log });
}
