// What a datapath verb works on: the volume its URI names, and this host.
import type { AtPlace } from "../plugins/ceph/cluster.js";
import type { Logger } from "../plugins/log.js";
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
