// The part of an SR's metadata that both plugins touch: the RADOS object that holds it, and the
// activation records (`act:<key>`) that the datapaths write and the volume plugin respects.
import * as z from "zod/mini";

export const META_OBJECT = "ceph_rbd_sr";

export const activationKey = (key: string): string => `act:${key}`;

export const Activation = z.object({
  // The XCP-ng host (INSTALLATION_UUID) on which the volume is active.
  host: z.string(),
  domain: z.string(),
  scheme: z.string(),
  since: z.string(),
  // librbd client addresses of the host's datapath, for fencing a dead host.
  clients: z.array(z.string()),
});
export type Activation = z.infer<typeof Activation>;

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
  return readRecord(Activation, text) ?? { host: UNREADABLE_HOST, domain: "", scheme: "", since: "", clients: [] };
}
