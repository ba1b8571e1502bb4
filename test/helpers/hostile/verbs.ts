// Every verb of the volume plugin, its fields by kind, and params that would succeed.
import type { HostileContext, Params } from "./types.js";
import type { Rng } from "./rng.js";

// `length` is list_changed_blocks': any integer, a negative one meaning "to the end".
export type Kind = "dbg" | "sr" | "key" | "k" | "text" | "size" | "length" | "bool" | "map" | "uuid";

// Every verb of the volume plugin and its params (plugins/wire/verbs.ts), by kind of field.
export const VERB_FIELDS: Readonly<Record<string, Readonly<Record<string, Kind>>>> = {
  "Plugin.Query": { dbg: "dbg" },
  "Plugin.diagnostics": { dbg: "dbg" },
  "SR.probe": { dbg: "dbg", configuration: "map" },
  "SR.create": { dbg: "dbg", uuid: "uuid", configuration: "map", name: "text", description: "text" },
  "SR.attach": { dbg: "dbg", configuration: "map" },
  "SR.detach": { dbg: "dbg", sr: "sr" },
  "SR.destroy": { dbg: "dbg", sr: "sr" },
  "SR.stat": { dbg: "dbg", sr: "sr" },
  "SR.ls": { dbg: "dbg", sr: "sr" },
  "SR.set_name": { dbg: "dbg", sr: "sr", new_name: "text" },
  "SR.set_description": { dbg: "dbg", sr: "sr", new_description: "text" },
  "Volume.create": { dbg: "dbg", sr: "sr", name: "text", description: "text", size: "size", sharable: "bool" },
  "Volume.stat": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.set": { dbg: "dbg", sr: "sr", key: "key", k: "k", v: "text" },
  "Volume.unset": { dbg: "dbg", sr: "sr", key: "key", k: "k" },
  "Volume.set_name": { dbg: "dbg", sr: "sr", key: "key", new_name: "text" },
  "Volume.set_description": { dbg: "dbg", sr: "sr", key: "key", new_description: "text" },
  "Volume.resize": { dbg: "dbg", sr: "sr", key: "key", new_size: "size" },
  "Volume.snapshot": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.clone": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.destroy": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.revert": { dbg: "dbg", sr: "sr", snapshot: "key", key: "key" },
  "Volume.enable_cbt": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.disable_cbt": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.data_destroy": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.list_changed_blocks": { dbg: "dbg", sr: "sr", key: "key", key2: "key", offset: "size", length: "length" },
};

// Params that would succeed (and, for most verbs, change something): each case breaks one thing.
export function baseParams(verb: string, ctx: HostileContext, rng: Rng): Params {
  const dbg = `hostile-${verb}`;
  const { sr, volA, volB } = ctx;
  switch (verb) {
    case "Plugin.Query":
    case "Plugin.diagnostics":
      return { dbg };
    case "SR.probe":
      return { dbg, configuration: { pool: ctx.pool, conf: ctx.conf } };
    case "SR.create":
      return { dbg, uuid: rng.uuid(), configuration: { pool: ctx.scratchPool, conf: ctx.conf }, name: "hostile", description: "hostile" };
    case "SR.attach":
      return { dbg, configuration: { ...ctx.config } };
    case "SR.detach":
    case "SR.destroy":
    case "SR.stat":
    case "SR.ls":
      return { dbg, sr };
    case "SR.set_name":
      return { dbg, sr, new_name: "renamed" };
    case "SR.set_description":
      return { dbg, sr, new_description: "redescribed" };
    case "Volume.create":
      return { dbg, sr, name: "hostile", description: "hostile", size: 4 * 2 ** 20, sharable: false };
    case "Volume.set":
      return { dbg, sr, key: volA, k: "hostile-k", v: "v" };
    case "Volume.unset":
      return { dbg, sr, key: volA, k: ctx.keyA };
    case "Volume.set_name":
      return { dbg, sr, key: volA, new_name: "renamed" };
    case "Volume.set_description":
      return { dbg, sr, key: volA, new_description: "redescribed" };
    case "Volume.resize":
      return { dbg, sr, key: volA, new_size: ctx.sizeA + 4 * 2 ** 20 };
    case "Volume.destroy":
      return { dbg, sr, key: volB };
    case "Volume.revert":
      return { dbg, sr, snapshot: ctx.snapA, key: volA };
    // The snapshot has no CBT: data_destroy refuses it, a list from it fails (CBT_chain_broken).
    case "Volume.data_destroy":
      return { dbg, sr, key: ctx.snapA };
    case "Volume.list_changed_blocks":
      return { dbg, sr, key: ctx.snapA, key2: volA, offset: 0, length: -1 };
    case "Volume.enable_cbt":
    case "Volume.disable_cbt":
    case "Volume.stat":
    case "Volume.snapshot":
    case "Volume.clone":
      return { dbg, sr, key: volA };
    default:
      throw new Error(`no base params for ${verb}`);
  }
}
