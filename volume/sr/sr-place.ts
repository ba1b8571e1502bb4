// The `sr` string SR.attach returns: xapi-storage-script stores it and passes it back to every
// later SR and Volume call on this host. It locates the SR (cluster, pool, namespace) and
// carries the datapath preference, so no call needs a second look-up to know where to go.
//
//   ceph-rbd://<pool>/<namespace>?conf=<path>&user=<id>[&keyring=<path>][&monhost=<addrs>][&datapath=<scheme>]
import type { Place } from "../../plugins/ceph/cluster.js";
import { Invalid_parameters } from "../../plugins/wire/errors.js";
import { SCHEMES, type Scheme } from "../../plugins/wire/volume-uri.js";
import { parseDeviceConfig, type DeviceConfig } from "./config.js";

export interface SrPlace extends Place {
  readonly datapath: Scheme;
}

export function srPlaceOf(c: DeviceConfig, namespace: string): SrPlace {
  return {
    cluster: { conf: c.conf, user: c.user, keyring: c.keyring, monHost: c.monhost },
    pool: c.pool,
    namespace,
    datapath: c.datapath ?? "rbd",
  };
}

export function formatSrPlace(r: SrPlace): string {
  const q = new URLSearchParams({ conf: r.cluster.conf, user: r.cluster.user });
  if (r.cluster.keyring) q.set("keyring", r.cluster.keyring);
  if (r.cluster.monHost) q.set("monhost", r.cluster.monHost);
  if (r.datapath !== "rbd") q.set("datapath", r.datapath);
  return `ceph-rbd://${encodeURIComponent(r.pool)}/${encodeURIComponent(r.namespace)}?${q.toString()}`;
}

export function parseSrPlace(sr: string): SrPlace {
  const m = /^ceph-rbd:\/\/([^/?]+)\/([^/?]+)\?(.*)$/.exec(sr);
  if (!m) throw new Invalid_parameters(`sr: not an SR of this plugin: ${sr.slice(0, 200)}`);
  const q = new URLSearchParams(m[3]);
  const datapath = q.get("datapath") ?? "rbd";
  if (!SCHEMES.includes(datapath as Scheme)) throw new Invalid_parameters(`sr: unknown datapath ${datapath}`);
  let pool: string;
  let namespace: string;
  try {
    pool = decodeURIComponent(m[1] ?? "");
    namespace = decodeURIComponent(m[2] ?? "");
  } catch {
    throw new Invalid_parameters(`sr: malformed: ${sr.slice(0, 200)}`);
  }
  // Re-validate every part as device-config would, so a forged sr cannot smuggle odd names.
  const c = parseDeviceConfig({
    pool,
    namespace,
    conf: q.get("conf") ?? "",
    user: q.get("user") ?? "",
    ...(q.get("keyring") ? { keyring: q.get("keyring") ?? "" } : {}),
    ...(q.get("monhost") ? { monhost: q.get("monhost") ?? "" } : {}),
    datapath,
  });
  return srPlaceOf(c, namespace);
}
