// The SR's device-config: what an admin gives to `xe sr-create device-config:...`, and what
// SR.create hands back to xapi for every host's PBD. Validated strictly: a typo in a key is an
// error, not a silently ignored option.
import * as z from "zod/mini";
import { once } from "../../plugins/wire/once.js";
import { Invalid_parameters } from "../../plugins/wire/errors.js";
import { describeIssue } from "../../plugins/wire/issues.js";
import { cephName, cephPath, clientId, monHost } from "../../plugins/wire/ceph-names.js";
import { SCHEMES } from "../../plugins/wire/volume-uri.js";

export const FEATURES = ["layering", "exclusive-lock", "object-map", "fast-diff", "deep-flatten"] as const;
export type Feature = (typeof FEATURES)[number];
export const DEFAULT_FEATURES: readonly Feature[] = FEATURES;

// Documentation shown by Plugin.Query (xapi's SM.configuration) and the README.
export const CONFIG_KEYS: Record<string, string> = {
  pool: "RBD pool holding the SR (required; must exist and be initialised with `rbd pool init`)",
  conf: "path of the Ceph configuration file (default /etc/ceph/ceph.conf)",
  user: "cephx client id, without the `client.` prefix (default admin)",
  keyring: "path of the keyring file for that client (default: as the Ceph configuration says)",
  monhost: "monitor addresses separated by commas, e.g. [v2:10.0.0.1:3300,v1:10.0.0.1:6789],10.0.0.2, overriding those of the configuration file (optional)",
  namespace: "RBD namespace of the SR inside the pool (default sr-<SR uuid>; set by SR.create)",
  sr_uuid: "uuid of the SR (set by SR.create)",
  image_features: `RBD features() of new images, comma-separated (default ${DEFAULT_FEATURES.join(",")}; use layering,exclusive-lock for kernel RBD older than 5.3, as in XCP-ng 8.3)`,
  datapath: `preferred datapath, listed first in each volume's URIs: ${SCHEMES.join(" or ")} (default rbd)`,
};

const features = once(() =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s) =>
        s
          .split(",")
          .map((f) => f.trim())
          .filter((f) => f.length > 0),
      ),
    ),
    z.array(z.enum(FEATURES)).check(
      z.minLength(1),
      z.refine((f) => f.includes("layering"), "layering is needed for snapshots and clones"),
      z.refine((f) => !f.includes("object-map") || f.includes("exclusive-lock"), "object-map needs exclusive-lock"),
      z.refine((f) => !f.includes("fast-diff") || f.includes("object-map"), "fast-diff needs object-map"),
    ),
  ),
);

const DeviceConfig = once(() =>
  z.strictObject({
    pool: cephName(),
    conf: z._default(cephPath(), "/etc/ceph/ceph.conf"),
    user: z.pipe(
      z.pipe(
        z.string(),
        z.transform((u) => u.replace(/^client\./, "")),
      ),
      clientId(),
    ),
    keyring: z.optional(cephPath()),
    monhost: z.optional(monHost()),
    namespace: z.optional(cephName()),
    sr_uuid: z.optional(z.uuid()),
    image_features: z.optional(features()),
    datapath: z.optional(z.enum(SCHEMES)),
  }),
);
export type DeviceConfig = z.output<ReturnType<typeof DeviceConfig>>;

export function parseDeviceConfig(raw: Record<string, string>): DeviceConfig {
  const r = DeviceConfig().safeParse({ user: "admin", ...raw });
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const known = issue?.code === "unrecognized_keys" ? ` (known keys: ${Object.keys(CONFIG_KEYS).join(", ")})` : "";
  throw new Invalid_parameters(`${issue ? describeIssue(issue, "device-config") : "device-config: invalid"}${known}`);
}

// The string form xapi stores for every PBD (only what differs from the defaults, plus the
// identity of the SR, so that SR.attach works from the device-config alone).
export function formatDeviceConfig(c: DeviceConfig): Record<string, string> {
  const out: Record<string, string> = { pool: c.pool, conf: c.conf, user: c.user };
  if (c.keyring) out.keyring = c.keyring;
  if (c.monhost) out.monhost = c.monhost;
  if (c.namespace) out.namespace = c.namespace;
  if (c.sr_uuid) out.sr_uuid = c.sr_uuid;
  if (c.image_features) out.image_features = c.image_features.join(",");
  if (c.datapath) out.datapath = c.datapath;
  return out;
}
