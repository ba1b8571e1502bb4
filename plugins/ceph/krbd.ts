// Kernel RBD: mapping images to /dev/rbdN on this host (`rbd device ...`), and what the
// kernel's rbd module can do. Only the rbd datapath uses it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log.js";
import { clientArgs, type Place } from "./cluster.js";
import { isEntityAddr } from "../wire/entity-addr.js";
import { setting } from "../settings.js";
import { runCeph } from "./exec.js";
import { DeviceList, parseJson } from "./outputs.js";
import { imageSpec } from "./rbd.js";

// librbd's feature bits (include/rbd/features.h).
export const FEATURE_BITS: Readonly<Record<string, number>> = {
  layering: 1 << 0,
  striping: 1 << 1,
  "exclusive-lock": 1 << 2,
  "object-map": 1 << 3,
  "fast-diff": 1 << 4,
  "deep-flatten": 1 << 5,
  journaling: 1 << 6,
  "data-pool": 1 << 7,
  operations: 1 << 8,
};

const sysfsRbd = (): string => setting("sysfsRbd");

// The features this kernel can map (its rbd module's own list), or undefined without one.
export function kernelFeatures(sysfs = sysfsRbd()): number | undefined {
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
  return parseJson(
    DeviceList(),
    await runCeph({ tool: "rbd", args: ["device", "list", "--format", "json"], connection: clientArgs(p.cluster), log, read: true }),
    "rbd device list",
  );
}

export async function deviceMap(p: Place, log: Logger, image: string, snap: string | undefined): Promise<string> {
  const args = ["device", "map", ...(snap ? ["--read-only"] : []), imageSpec(p, image, snap)];
  return (await runCeph({ tool: "rbd", args, connection: clientArgs(p.cluster), log })).trim();
}

export async function deviceUnmap(p: Place, log: Logger, device: string): Promise<void> {
  await runCeph({ tool: "rbd", args: ["device", "unmap", device], connection: clientArgs(p.cluster), log });
}

// Who a mapping (/dev/rbd<N>) is to the cluster: its libceph client's address where the kernel
// shows it (`client_addr`, "1.2.3.4:0/3040127" or "[::1]:0/42", since 4.17), and its global id
// (`client_id`, "client4135"), which the image's watchers resolve to an address on any kernel.
// Several mappings share one libceph client, so this is the host's client, not the image's.
export interface MappingClient {
  readonly address?: string | undefined;
  readonly id: number;
}

export function mappingClient(device: string, sysfs = sysfsRbd()): MappingClient {
  const m = /^\/dev\/rbd(\d+)$/.exec(device);
  if (!m) throw new Error(`not a kernel RBD device: ${device}`);
  const dir = join(sysfs, "devices", m[1] ?? "");
  const idText = readFileSync(join(dir, "client_id"), "utf8").trim();
  const id = /^client(\d+)$/.exec(idText);
  if (!id) throw new Error(`${dir}/client_id holds ${JSON.stringify(idText)}, not client<id>`);
  let address: string | undefined;
  try {
    address = readFileSync(join(dir, "client_addr"), "utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return { address, id: Number(id[1]) };
}

// The mapping client's address: the kernel's own word, else the watcher with its global id.
export function clientAddress(client: MappingClient, watchers: readonly { address: string; client: number }[]): string | undefined {
  if (client.address !== undefined && isEntityAddr(client.address)) return client.address;
  return watchers.find((w) => w.client === client.id)?.address;
}
