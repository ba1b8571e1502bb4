// The private contract between the volume plugin and its datapaths: a volume's URI names
// everything a datapath needs on any host (pool, namespace, image, cluster config, client id,
// the volume key for activation records) and never a secret.
//
//   <scheme>://<pool>/<namespace>/<image>?conf=<path>&user=<id>[&keyring=<path>][&monhost=<addrs>]&key=<key>[&snap=<name>]
//
// Path segments and query values are percent-encoded, so any legal Ceph name round-trips.
import type { ClusterRef } from "../ceph/cluster.js";

export const SCHEMES = ["rbd", "rbd+nbd"] as const;
export type Scheme = (typeof SCHEMES)[number];

export interface VolumeLocation {
  readonly scheme: Scheme;
  readonly cluster: ClusterRef;
  readonly pool: string;
  readonly namespace: string;
  readonly image: string;
  readonly key: string;
  readonly snap?: string | undefined;
}

export function formatVolumeUri(v: VolumeLocation): string {
  const q = new URLSearchParams({ conf: v.cluster.conf, user: v.cluster.user });
  if (v.cluster.keyring) q.set("keyring", v.cluster.keyring);
  if (v.cluster.monHost) q.set("monhost", v.cluster.monHost);
  q.set("key", v.key);
  if (v.snap) q.set("snap", v.snap);
  const path = [v.pool, v.namespace, v.image].map(encodeURIComponent).join("/");
  return `${v.scheme}://${path}?${q.toString()}`;
}

export function parseVolumeUri(uri: string): VolumeLocation {
  const m = /^([a-z+]+):\/\/([^/?]+)\/([^/?]*)\/([^/?]+)\?(.*)$/.exec(uri);
  const scheme = m?.[1] as Scheme | undefined;
  if (!m || !scheme || !SCHEMES.includes(scheme)) throw new Error(`not a ceph-rbd volume URI: ${uri}`);
  const q = new URLSearchParams(m[5]);
  const conf = q.get("conf");
  const user = q.get("user");
  const key = q.get("key");
  if (!conf || !user || !key) throw new Error(`volume URI lacks conf, user or key: ${uri}`);
  return {
    scheme,
    cluster: { conf, user, keyring: q.get("keyring") ?? undefined, monHost: q.get("monhost") ?? undefined },
    pool: decodeURIComponent(m[2] ?? ""),
    namespace: decodeURIComponent(m[3] ?? ""),
    image: decodeURIComponent(m[4] ?? ""),
    key,
    snap: q.get("snap") ?? undefined,
  };
}
