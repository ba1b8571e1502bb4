// Volume verbs that touch one volume's metadata or one image: create, stat, keys, names, resize.
import { randomUUID } from "node:crypto";
import { imageCreate, imageResize } from "../../plugins/ceph/rbd.js";
import type { Context } from "../../plugins/runtime/verb.js";
import { Invalid_request, shrinkRefused, volumeInUse, Volume_does_not_exist } from "../../plugins/wire/errors.js";
import type { Volume } from "../../plugins/wire/records.js";
import { begin, finish, step } from "../journal/journal.js";
import { K, type SrState, type VolumeRecord, type VolumeState } from "../meta/layout.js";
import { drop, put, readSr, type Sr, update } from "../meta/store.js";
import { withLock } from "../../plugins/ceph/locks.js";
import { recoverOwn } from "./recovery.js";
import { toWireVolume } from "./record.js";
import { parseSrRef } from "./sr-ref.js";
import { usageOf } from "./usage.js";

// Sizes are rounded up to whole RBD objects (4 MiB, the default object size).
export const GRANULARITY = 4 * 1024 * 1024;
// The largest image an object map can cover at 4 MiB objects (2^50 bytes is refused by RBD).
export const MAX_SIZE = 2 ** 49;

export const openSr = (ctx: Context, sr: string): Sr => ({ ref: parseSrRef(sr), log: ctx.log });

export function roundSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new Invalid_request(`size ${size}`, `size must be a whole number of bytes, at least 0 (got ${size})`);
  if (size > MAX_SIZE) throw new Invalid_request(`size ${size}`, `size ${size} is beyond the largest RBD image (${MAX_SIZE} bytes, 512 TiB)`);
  return Math.ceil(size / GRANULARITY) * GRANULARITY;
}

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

export const wireVolume = (sr: Sr, state: SrState, key: string): Volume => toWireVolume(sr.ref, volumeOf(state, key), usageOf(state, key));

// A new volume's name and description. Journaled verbs write them alongside their image work:
// until the record exists they belong to nobody, and a rollback drops them.
const texts = (key: string, name: string, description: string) => ({ [K.nam(key)]: name, [K.dsc(key)]: description });

export const writeTexts = (sr: Sr, key: string, name: string, description: string): Promise<void> => update(sr, texts(key, name, description), []);

// Record, name and description in one atomic write: the volume exists with all three or not at all.
export const writeVolume = (sr: Sr, key: string, record: VolumeRecord, name: string, description: string): Promise<void> =>
  update(sr, { ...texts(key, name, description), [K.vol(key)]: JSON.stringify(record) }, []);

export async function createVolume(
  ctx: Context,
  p: { sr: string; name: string; description: string; size: number; sharable: boolean },
): Promise<Volume> {
  const sr = openSr(ctx, p.sr);
  const size = roundSize(p.size);
  const { config } = await readSr(sr);
  const key = randomUUID();
  const image = `vol-${randomUUID()}`;
  const entry = await begin(sr, { op: "create", key, image });
  await Promise.all([imageCreate(sr.ref, sr.log, image, size, config.features), writeTexts(sr, key, p.name, p.description)]);
  step(entry, "image");
  const record: VolumeRecord = { uuid: key, image, sharable: p.sharable, size, created: new Date().toISOString(), family: key };
  await put(sr, K.vol(key), JSON.stringify(record));
  step(entry, "commit");
  await finish(sr, entry);
  return toWireVolume(sr.ref, { key, record, name: p.name, description: p.description, keys: {} }, 0);
}

export async function statVolume(ctx: Context, p: { sr: string; key: string }): Promise<Volume> {
  const sr = openSr(ctx, p.sr);
  return wireVolume(sr, await readSr(sr), p.key);
}


export async function setKey(ctx: Context, p: { sr: string; key: string; k: string; v: string }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  volumeOf(await readSr(sr), p.key);
  await put(sr, K.xkey(p.key, p.k), p.v);
  return null;
}

export async function unsetKey(ctx: Context, p: { sr: string; key: string; k: string }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  volumeOf(await readSr(sr), p.key);
  await drop(sr, K.xkey(p.key, p.k));
  return null;
}

export async function setVolumeText(ctx: Context, p: { sr: string; key: string; field: "name" | "description"; value: string }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  volumeOf(await readSr(sr), p.key);
  await put(sr, p.field === "name" ? K.nam(p.key) : K.dsc(p.key), p.value);
  return null;
}

export async function resizeVolume(ctx: Context, p: { sr: string; key: string; new_size: number }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  volumeOf(await readSr(sr), p.key);
  const size = roundSize(p.new_size);
  return withLock(sr, K.vol(p.key), async () => {
    const state = await recoverOwn(sr, p.key, await readSr(sr));
    const v = volumeOf(state, p.key);
    if (v.record.snap !== undefined) throw new Invalid_request(p.key, `volume ${p.key} is a read-only snapshot and cannot be resized`);
    if (p.new_size < v.record.size) throw shrinkRefused(v.record.size, p.new_size);
    ensureInactive(state, p.key, "resizing it");
    if (size === v.record.size) return null;
    const entry = await begin(sr, { op: "resize", key: p.key, image: v.record.image, size });
    await imageResize(sr.ref, sr.log, v.record.image, size);
    step(entry, "image");
    await put(sr, K.vol(p.key), JSON.stringify({ ...v.record, size }));
    await finish(sr, entry);
    return null;
  });
}
