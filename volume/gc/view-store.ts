// Where the GC keeps what its opens of the SR's images told (image-view.ts), so that a worker that
// starts (a host booted, the plugin upgraded, the GC lock moved to another host) need not open
// every image again: the omap of one RADOS object of the SR's namespace, one entry per image id,
// `{"d": <header digest>, "r": <its rows>}`, and two marks: the generation its last writer gave
// it (a process that wrote the view last may trust its own copy) and the refresh cursor. Only a
// GC pass writes it. It holds nothing that is not checked again: an entry is used only while its
// digest is the image's header's, and one that does not parse is as good as absent (it is read
// back from Ceph: untrusted).
import * as z from "zod/mini";
import { ignoreNotFound } from "../../plugins/ceph/errors.js";
import type { LongList } from "../../plugins/ceph/outputs.js";
import { objectRemove, omapList, omapRead, omapUpdate } from "../../plugins/ceph/rados.js";
import { once } from "../../plugins/wire/once.js";
import type { Sr } from "../meta/store.js";

export const VIEW_OBJECT = "ceph_rbd_gc_view";

// Entries per write: each write well below the OSD's message limits.
const WRITE_BATCH = 500;

const Entry = once(() =>
  z.object({
    d: z.string(),
    r: z.array(
      z.object({
        image: z.string(),
        id: z.optional(z.string()),
        snapshot: z.optional(z.string()),
        size: z.number(),
        parent: z.optional(z.object({ pool: z.string(), pool_namespace: z.optional(z.string()), image: z.string(), snapshot: z.string() })),
      }),
    ),
  }),
);

export interface Stored {
  readonly digest: string;
  readonly rows: LongList;
}

export interface View {
  readonly gen: string;
  readonly cursor: string;
  readonly seen: ReadonlyMap<string, Stored>;
}

// Image ids are hexadecimal: no entry of an image begins with "~".
const GEN = "~gen";
const CURSOR = "~cursor";

export async function readMarks(sr: Sr): Promise<{ gen: string; cursor: string }> {
  const marks = (await ignoreNotFound(omapRead(sr.place, sr.log, VIEW_OBJECT, [GEN, CURSOR]))) ?? new Map<string, string>();
  return { gen: marks.get(GEN) ?? "", cursor: marks.get(CURSOR) ?? "" };
}

export async function readView(sr: Sr): Promise<Map<string, Stored>> {
  const out = new Map<string, Stored>();
  const entries = (await ignoreNotFound(omapList(sr.place, sr.log, VIEW_OBJECT))) ?? new Map<string, string>();
  for (const [id, text] of entries) {
    if (id === GEN || id === CURSOR) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    const e = Entry().safeParse(value);
    // Rows of another image than the entry's key's are not this image's; an image has a head.
    if (e.success && e.data.r.every((row) => row.id === id) && e.data.r.some((row) => row.snapshot === undefined))
      out.set(id, { digest: e.data.d, rows: e.data.r });
  }
  return out;
}

// The entries opened and those of images gone, then the marks: a view whose marks were written
// has every entry its writer knew.
export async function writeView(sr: Sr, set: ReadonlyMap<string, Stored>, remove: readonly string[], marks: Omit<View, "seen">): Promise<void> {
  const pairs = [...set].map(([id, s]) => [id, JSON.stringify({ d: s.digest, r: s.rows })] as const);
  for (let i = 0; i < pairs.length; i += WRITE_BATCH) await omapUpdate(sr.place, sr.log, VIEW_OBJECT, Object.fromEntries(pairs.slice(i, i + WRITE_BATCH)));
  for (let i = 0; i < remove.length; i += WRITE_BATCH) await omapUpdate(sr.place, sr.log, VIEW_OBJECT, {}, remove.slice(i, i + WRITE_BATCH));
  await omapUpdate(sr.place, sr.log, VIEW_OBJECT, { [GEN]: marks.gen, [CURSOR]: marks.cursor });
}

export const removeView = (sr: Sr): Promise<void> => ignoreNotFound(objectRemove(sr.place, sr.log, VIEW_OBJECT)).then(() => undefined);
