// The part of an SR's metadata that both plugins touch: the RADOS object that holds it, the
// volume records' keys (which name the volumes' locks), and the activation records (`act:<key>`)
// that the datapaths write and the volume plugin respects. The rest of the layout, and its
// parsing, is the volume plugin's (volume/meta/layout.ts, built on these spellings).
import * as z from "zod/mini";
import { once } from "./once.js";

export const META_OBJECT = "ceph_rbd_sr";

export const VOLUME_PREFIX = "vol:";
export const ACTIVATION_PREFIX = "act:";

// A volume's record entry, and the name of the lock every change to the volume (its activation
// included) holds.
export const volumeKey = (key: string): string => `${VOLUME_PREFIX}${key}`;
export const activationKey = (key: string): string => `${ACTIVATION_PREFIX}${key}`;

// The other locks on the metadata object: the SR's own (create, destroy, attach), and the GC's,
// which serialises its passes pool-wide.
export const SR_LOCK = "sr";
export const GC_LOCK = "gc";

export const Activation = once(() =>
  z.object({
    // The XCP-ng host (INSTALLATION_UUID) on which the volume is active.
    host: z.string(),
    domain: z.string(),
    scheme: z.string(),
    since: z.string(),
    // The Ceph client addresses of this host's own datapath for the volume (its kernel mapping's
    // client, or its qemu-storage-daemon's librbd client): what fencing the host blocklists.
    clients: z.array(z.string()),
    // Written before the datapath starts: the host has claimed the volume, and its clients are
    // not known yet (a crash leaves it so until the host activates again or an admin fences it).
    starting: z.optional(z.boolean()),
  }),
);
export type Activation = z.infer<ReturnType<typeof Activation>>;

// A stored JSON record, or undefined when absent or unreadable (callers decide what that means).
export function readRecord<T>(schema: z.ZodMiniType<T>, text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

// An activation record that cannot be read still says that some host may be using the volume:
// it counts as active, on a host nobody can name, until an admin fences it (`fence --force`).
export const UNREADABLE_HOST = "unknown (unreadable activation record)";

export function parseActivation(text: string | undefined): Activation | undefined {
  if (text === undefined) return undefined;
  return readRecord(Activation(), text) ?? { host: UNREADABLE_HOST, domain: "", scheme: "", since: "", clients: [] };
}
