// A volume's name and description: written with a new volume, and changed by
// Volume.set_name and Volume.set_description.
import type { Context } from "../../plugins/runtime/verb.js";
import { K, recordEntries, type VolumeRecord } from "../meta/layout.js";
import { put, readVolume, type Sr, update } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { volumeOf } from "./lookup.js";

// Journaled verbs write them alongside their image work: until the record exists they belong to
// nobody, and a rollback drops them.
const texts = (key: string, name: string, description: string) => ({ [K.nam(key)]: name, [K.dsc(key)]: description });

export const writeTexts = (sr: Sr, key: string, name: string, description: string): Promise<void> => update(sr, texts(key, name, description), []);

// Record, name and description in one atomic write: the volume exists with all three or not at all.
export const writeVolume = (sr: Sr, key: string, record: VolumeRecord, name: string, description: string): Promise<void> =>
  update(sr, { ...texts(key, name, description), ...recordEntries(key, record) }, []);

export async function setVolumeText(ctx: Context, p: { sr: string; key: string; field: "name" | "description"; value: string }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  volumeOf(await readVolume(sr, p.key), p.key);
  await put(sr, p.field === "name" ? K.nam(p.key) : K.dsc(p.key), p.value);
  return null;
}
