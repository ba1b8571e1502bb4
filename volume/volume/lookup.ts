// Finding a volume in the SR's state, and what verbs check about it before they touch it.
import { volumeInUse, Volume_does_not_exist } from "../../plugins/wire/errors.js";
import type { Volume } from "../../plugins/wire/records.js";
import type { SrState, VolumeState } from "../meta/sr-state.js";
import type { Sr } from "../meta/store.js";
import { toWireVolume } from "./record.js";
import { usageOf } from "./usage.js";

export const familyOf = (v: VolumeState): string => v.record.family ?? v.key;

// Changing the image under a running VM is refused: the datapath's activation record says where.
export function ensureInactive(state: SrState, key: string, what: string): void {
  const a = state.active.get(key);
  if (a) throw volumeInUse(key, a.host, what);
}

export function volumeOf(state: SrState, key: string): VolumeState {
  const v = state.volumes.get(key);
  if (!v) throw new Volume_does_not_exist(key, `no volume ${key} in this SR`);
  return v;
}

export const wireVolume = (sr: Sr, state: SrState, key: string): Volume => toWireVolume(sr.place, volumeOf(state, key), usageOf(state, key));
