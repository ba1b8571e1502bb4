// What a datapath verb works on: the volume its URI names, and this host.
import { readFileSync } from "node:fs";
import type { AtPlace } from "../plugins/ceph/cluster.js";
import type { Logger } from "../plugins/log.js";
import { setting } from "../plugins/settings.js";
import { Invalid_parameters } from "../plugins/wire/errors.js";
import { parseVolumeUri, type Scheme } from "../plugins/wire/volume-uri.js";

export interface Target extends AtPlace {
  readonly scheme: Scheme;
  readonly key: string;
  readonly image: string;
  readonly snap?: string | undefined;
}

export function targetOf(uri: string, log: Logger): Target {
  let v: ReturnType<typeof parseVolumeUri>;
  try {
    v = parseVolumeUri(uri);
  } catch (e) {
    throw new Invalid_parameters(`uri: ${(e as Error).message}`);
  }
  return { place: { cluster: v.cluster, pool: v.pool, namespace: v.namespace }, scheme: v.scheme, key: v.key, image: v.image, snap: v.snap, log };
}

// This host's identity in the pool: XCP-ng's INSTALLATION_UUID (CEPH_RBD_HOST_UUID overrides
// it in test mode, so that tests can play several hosts on one machine).
export function hostId(inventory = "/etc/xensource-inventory"): string {
  const forced = setting("hostUuid");
  if (forced) return forced;
  try {
    const m = /^INSTALLATION_UUID=['"]?([0-9a-f-]{36})['"]?$/m.exec(readFileSync(inventory, "utf8"));
    if (m?.[1]) return m[1];
  } catch {
    // fall through
  }
  throw new Invalid_parameters(`cannot tell which host this is: no INSTALLATION_UUID in ${inventory}`);
}
