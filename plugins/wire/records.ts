// zod mirrors of the IDL record types (spec section 5), as rpclib encodes them: optional
// fields are omitted (never null), variants with an argument are [Name, arg], without one "Name".
// zod/mini: the same validator as zod, a tenth of the start-up cost (every verb is a new process).
// Each is built on first use (once.ts).
import * as z from "zod/mini";
import { once } from "./once.js";

// OCaml int64 fits only partly in a JS number; sizes below 2^53 bytes (8 PiB) are exact.
export const int64 = () => z.int();
const uint64 = () => z.int().check(z.minimum(0));
export const stringMap = () => z.record(z.string(), z.string());

export const Volume = once(() =>
  z.strictObject({
    key: z.string().check(z.minLength(1)),
    uuid: z.optional(z.uuid()),
    name: z.string(),
    description: z.string(),
    read_write: z.boolean(),
    sharable: z.boolean(),
    virtual_size: uint64(),
    physical_utilisation: uint64(),
    uri: z.array(z.string()),
    keys: stringMap(),
    volume_type: z.optional(z.enum(["Data", "CBT_Metadata", "Data_and_CBT_Metadata"])),
    cbt_enabled: z.optional(z.boolean()),
  }),
);
export type Volume = z.infer<ReturnType<typeof Volume>>;

// Volume.list_changed_blocks' answer (the bitmap's format: changed-blocks.ts).
export const ChangedBlocks = once(() => z.strictObject({ granularity: z.int().check(z.minimum(1)), bitmap: z.base64() }));

const variant = <N extends string>(name: N) => z.tuple([z.literal(name), z.string()]);
export const Health = once(() => z.union([variant("Healthy"), variant("Recovering"), variant("Unreachable"), variant("Unavailable")]));
export type Health = z.infer<ReturnType<typeof Health>>;

export const SrStat = once(() =>
  z.strictObject({
    sr: z.string(),
    name: z.string(),
    uuid: z.optional(z.string()),
    description: z.string(),
    free_space: uint64(),
    total_space: uint64(),
    datasources: z.array(z.string()),
    clustered: z.boolean(),
    health: Health(),
  }),
);
export type SrStat = z.infer<ReturnType<typeof SrStat>>;

export const ProbeResult = once(() =>
  z
    .strictObject({
      configuration: stringMap(),
      complete: z.boolean(),
      sr: z.optional(SrStat()),
      extra_info: stringMap(),
    })
    // xapi-storage-script rejects results that break these rules (spec 9.3).
    .check(
      z.refine((p) => !("sr_uuid" in p.configuration) || p.complete, "a configuration with sr_uuid must be complete"),
      z.refine((p) => p.sr === undefined || ("sr_uuid" in p.configuration && p.complete), "an sr needs sr_uuid and complete"),
    ),
);
export type ProbeResult = z.infer<ReturnType<typeof ProbeResult>>;

export const QueryResult = once(() =>
  z.strictObject({
    plugin: z.string(),
    name: z.string(),
    description: z.string(),
    vendor: z.string(),
    copyright: z.string(),
    version: z.string(),
    required_api_version: z.literal("5.0"),
    features: z.array(z.string()),
    configuration: stringMap(),
    required_cluster_stack: z.array(z.string()),
  }),
);
export type QueryResult = z.infer<ReturnType<typeof QueryResult>>;

export const Implementation = once(() =>
  z.union([
    z.tuple([z.literal("XenDisk"), z.strictObject({ params: z.string(), extra: stringMap(), backend_type: z.enum(["vbd", "vbd3", "qdisk", "9pfs"]) })]),
    z.tuple([z.literal("BlockDevice"), z.strictObject({ path: z.string() })]),
    z.tuple([z.literal("File"), z.strictObject({ path: z.string() })]),
    z.tuple([z.literal("Nbd"), z.strictObject({ uri: z.string() })]),
  ]),
);
export const Backend = once(() => z.strictObject({ implementations: z.array(Implementation()) }));
export type Backend = z.infer<ReturnType<typeof Backend>>;
