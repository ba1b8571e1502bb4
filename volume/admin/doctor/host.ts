// This host's Ceph tools, cluster reachability, kernel RBD and qemu-storage-daemon.
import { FEATURE_BITS, featuresToDisable } from "../../../plugins/ceph/krbd.js";
import { DEFAULT_FEATURES } from "../../sr/config.js";
import { check, type Check } from "./report.js";

export const unavailable = (version: string) => version.startsWith("unavailable");

// "ceph version 16.2.15 (618f...) pacific (stable)" -> "16.2.15 pacific (stable)"
const shortVersion = (v: string): string => v.replace(/^ceph version /, "").replace(/\s*\([0-9a-f]{40}\)/, "");

export function evaluateTools(versions: Readonly<Record<string, string>>): Check {
  const missing = Object.entries(versions).filter(([, v]) => unavailable(v));
  // Tools of one version are listed together: "rbd, rados, ceph: 16.2.15 pacific (stable)".
  const byVersion = new Map<string, string[]>();
  for (const [t, v] of Object.entries(versions)) {
    const key = unavailable(v) ? "missing" : shortVersion(v);
    byVersion.set(key, [...(byVersion.get(key) ?? []), t]);
  }
  const line = [...byVersion].map(([v, tools]) => `${tools.join(", ")}: ${v}`).join("; ");
  if (missing.length > 0) return check("ceph tools", "FAIL", `${line} (install ceph-common; ${missing.map(([t]) => t).join(", ")} not on PATH or not working)`);
  return check("ceph tools", "OK", line);
}

export interface HealthFacts {
  readonly status?: string;
  readonly checks?: Readonly<Record<string, { severity: string; summary: { message: string } }>>;
  readonly error?: string;
  readonly ms: number;
}

export function evaluateCluster(h: HealthFacts): Check {
  if (h.error !== undefined) return check("cluster", "FAIL", `not reachable (${h.ms} ms): ${h.error}`);
  const reasons = Object.entries(h.checks ?? {}).map(([k, c]) => `${k}: ${c.summary.message}`);
  const detail = `reachable in ${h.ms} ms, ${h.status}${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}`;
  if (h.status === "HEALTH_OK") return check("cluster", "OK", detail);
  if (h.status === "HEALTH_WARN") return check("cluster", "WARN", detail);
  return check("cluster", "FAIL", detail);
}

export const featureNames = (bits: number): string[] =>
  Object.entries(FEATURE_BITS)
    .filter(([, b]) => (bits & b) !== 0)
    .map(([n]) => n);

export function evaluateKernel(supported: number | undefined, moduleInstalled: boolean): Check {
  if (supported === undefined) {
    return check(
      "kernel rbd",
      "WARN",
      moduleInstalled
        ? "the rbd module is installed but not loaded (/sys/bus/rbd missing): `modprobe rbd` for the rbd datapath, or use rbd+nbd (device-config:datapath=rbd+nbd)"
        : "no kernel RBD on this host (/sys/bus/rbd missing): use rbd+nbd (device-config:datapath=rbd+nbd)",
    );
  }
  const { disable, impossible } = featuresToDisable(DEFAULT_FEATURES, supported);
  const names = `supports ${featureNames(supported).join(",")}`;
  if (impossible.length > 0) return check("kernel rbd", "WARN", `${names}; cannot map images with ${impossible.join(", ")}: use rbd+nbd`);
  if (disable.length > 0) {
    return check(
      "kernel rbd",
      "OK",
      `${names}; the rbd datapath disables ${disable.join(",")} on images it maps (or create SRs with image_features=layering,exclusive-lock)`,
    );
  }
  return check("kernel rbd", "OK", names);
}

// qemu-storage-daemon serves the rbd+nbd datapath; without it and without kernel RBD, this host
// cannot attach any disk.
export function evaluateQsd(version: string, kernel: Check): Check {
  if (!unavailable(version)) return check("qemu-storage-daemon", "OK", version.split("\n")[0] ?? version);
  if (kernel.status === "OK") return check("qemu-storage-daemon", "WARN", "not found: the rbd+nbd datapath cannot work on this host (the rbd datapath can)");
  return check("qemu-storage-daemon", "FAIL", "not found, and no usable kernel RBD: no datapath can attach a disk on this host");
}
