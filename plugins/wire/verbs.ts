// Params and result schemas of the SMAPIv3 methods these plugins serve (spec section 6,
// smapiv3-verbs.json); the others (Volume.copy, Volume.compose, Data.*, ...) are added with their verb.
// Params are strict: xapi always sends every IDL parameter by name and nothing else, so a
// missing or extra field means the caller is not xapi speaking API 5.0, and we refuse.
// Every schema is built when its verb first uses it (once.ts): a verb's process builds its own.
import * as z from "zod/mini";
import { once } from "./once.js";
import { Backend, ChangedBlocks, int64, ProbeResult, QueryResult, SrStat, stringMap, Volume } from "./records.js";

export interface VerbSchema<P extends z.ZodMiniType = z.ZodMiniType, R extends z.ZodMiniType = z.ZodMiniType> {
  readonly name: string;
  readonly params: P;
  readonly result: R;
}

// NUL cannot travel in a process argument, and keys and names reach the Ceph CLIs.
const noNul = () => z.refine<string>((s) => !s.includes("\0"), "must not contain NUL characters");
const text = (min = 0, max = Number.MAX_SAFE_INTEGER) => z.string().check(noNul(), z.minLength(min), z.maxLength(max));
const sr = () => text(1);
const key = () => text(1, 256);
const unit = () => z.null();

// Caps on what a verb stores, in UTF-8 bytes (what Ceph stores). Every name, description and
// xapi key of an SR is one omap entry of its one metadata object, which every SR.ls and
// Volume.stat reads whole, and Ceph flags an object whose omap grows large (deep-scrub warns
// past 200 000 keys or 1 GiB of values): a few KiB per name leaves room for thousands of
// volumes. xapi's
// name_label has no limit of its own, but no real name comes near 4 KiB. xapi's keys (sm-config
// style: `vhd-parent`, `host_OpaqueRef:...`) are short words, and each becomes part of an omap
// key; their values are small records, 64 KiB at most.
export const CAPS = { name: 4096, description: 4096, k: 256, v: 65536 } as const;
const utf8 = (max: number) => z.refine<string>((s) => Buffer.byteLength(s, "utf8") <= max, `must be at most ${max} bytes (UTF-8)`);
const stored = (max: number) => z.string().check(utf8(max));
const name = () => stored(CAPS.name);
const description = () => stored(CAPS.description);
const k = () => text(1).check(utf8(CAPS.k));
const v = () => stored(CAPS.v);

const verb = <S extends Record<string, z.ZodMiniType>, R extends z.ZodMiniType>(name: string, shape: () => S, result: () => R) => {
  const params = once(() => z.strictObject({ dbg: z.string(), ...shape() }));
  const checked = once(result);
  return {
    name,
    get params() {
      return params();
    },
    get result() {
      return checked();
    },
  };
};

export const PluginQuery = verb("Plugin.Query", () => ({}), QueryResult);
export const PluginDiagnostics = verb(
  "Plugin.diagnostics",
  () => ({}),
  () => z.string(),
);

export const SrProbe = verb(
  "SR.probe",
  () => ({ configuration: stringMap() }),
  () => z.array(ProbeResult()),
);
export const SrCreate = verb("SR.create", () => ({ uuid: z.uuid(), configuration: stringMap(), name: name(), description: description() }), stringMap);
export const SrAttach = verb(
  "SR.attach",
  () => ({ configuration: stringMap() }),
  () => z.string(),
);
export const SrDetach = verb("SR.detach", () => ({ sr: sr() }), unit);
export const SrDestroy = verb("SR.destroy", () => ({ sr: sr() }), unit);
export const SrStatVerb = verb("SR.stat", () => ({ sr: sr() }), SrStat);
export const SrLs = verb(
  "SR.ls",
  () => ({ sr: sr() }),
  () => z.array(Volume()),
);
export const SrSetName = verb("SR.set_name", () => ({ sr: sr(), new_name: name() }), unit);
export const SrSetDescription = verb("SR.set_description", () => ({ sr: sr(), new_description: description() }), unit);

export const VolumeCreate = verb("Volume.create", () => ({ sr: sr(), name: name(), description: description(), size: int64(), sharable: z.boolean() }), Volume);
export const VolumeSnapshot = verb("Volume.snapshot", () => ({ sr: sr(), key: key() }), Volume);
export const VolumeClone = verb("Volume.clone", () => ({ sr: sr(), key: key() }), Volume);
export const VolumeDestroy = verb("Volume.destroy", () => ({ sr: sr(), key: key() }), unit);
export const VolumeRevert = verb("Volume.revert", () => ({ sr: sr(), snapshot: key(), key: key() }), unit);
export const VolumeSetName = verb("Volume.set_name", () => ({ sr: sr(), key: key(), new_name: name() }), unit);
export const VolumeSetDescription = verb("Volume.set_description", () => ({ sr: sr(), key: key(), new_description: description() }), unit);
export const VolumeSet = verb("Volume.set", () => ({ sr: sr(), key: key(), k: k(), v: v() }), unit);
// Stores nothing: it still takes a key stored before the cap existed.
export const VolumeUnset = verb("Volume.unset", () => ({ sr: sr(), key: key(), k: text(1, 4096) }), unit);
export const VolumeResize = verb("Volume.resize", () => ({ sr: sr(), key: key(), new_size: int64() }), unit);
export const VolumeStat = verb("Volume.stat", () => ({ sr: sr(), key: key() }), Volume);
export const VolumeEnableCbt = verb("Volume.enable_cbt", () => ({ sr: sr(), key: key() }), unit);
export const VolumeDisableCbt = verb("Volume.disable_cbt", () => ({ sr: sr(), key: key() }), unit);
export const VolumeDataDestroy = verb("Volume.data_destroy", () => ({ sr: sr(), key: key() }), unit);
// offset is the IDL's int64 and length its int; a negative length means the whole disk from
// offset (xapi-storage-script always sends 0 and -1), a negative offset means nothing.
export const VolumeListChangedBlocks = verb(
  "Volume.list_changed_blocks",
  () => ({ sr: sr(), key: key(), key2: key(), offset: int64().check(z.minimum(0)), length: int64() }),
  ChangedBlocks,
);

const uri = () => text(1);
const domain = () => z.string();
export const DatapathAttach = verb("Datapath.attach", () => ({ uri: uri(), domain: domain() }), Backend);
export const DatapathActivate = verb("Datapath.activate", () => ({ uri: uri(), domain: domain() }), unit);
export const DatapathDeactivate = verb("Datapath.deactivate", () => ({ uri: uri(), domain: domain() }), unit);
export const DatapathDetach = verb("Datapath.detach", () => ({ uri: uri(), domain: domain() }), unit);
