// The GC's view of every image and user snapshot of an SR, as `rbd ls -l` would list them, without
// opening every image on every pass: opening costs ~3 ms of CPU an image (30 s at 10,000), a
// header read a fraction of that. Each image's header is digested (one omap read) and only an
// image whose digest was not seen before is opened; the rest is what its last open said, kept in
// the SR (view-store.ts) for the next pass, on any host, and by this process while no other
// host's pass has written the view since its own (its generation mark says).
// A header holds all that an open reports (size, parent, snapshots, their parents), so an image
// that changed in any of those changes its digest. The name of a parent is the one exception
// (rows name it, the child's header holds its id): a parent renamed outside the product would go
// unseen, so a few unchanged images are opened again each pass, in turn by id from a cursor kept
// with the view.
import { randomUUID } from "node:crypto";
import type { ImageHeader, LongList } from "../../plugins/ceph/outputs.js";
import { imageFacts, imageHeaders } from "../../plugins/ceph/rbd.js";
import type { Sr } from "../meta/store.js";
import { readMarks, readView, type Stored, type View, writeView } from "./view-store.js";
import { addTo } from "./group.js";

// pass: a GC pass, which keeps what it opened for the next; look: a read-only look (gc status),
// which uses what was kept and keeps nothing; full: every image opened (fsck).
export type ViewUse = "pass" | "look" | "full";

// Images opened per session call: each call well within the operation's deadline.
const OPEN_BATCH = 256;
// Unchanged images opened again each pass: one in REFRESH_EVERY (at least one), so that every
// image is opened again within that many passes, whatever the SR's size.
const REFRESH_EVERY = 64;

const views = new Map<string, View>();

async function current(sr: Sr, where: string): Promise<View> {
  const marks = await readMarks(sr);
  const mine = views.get(where);
  return mine && mine.gen === marks.gen ? mine : { ...marks, seen: await readView(sr) };
}

// `count` unchanged images, in turn: those after `cursor` by id, then from the first.
function inTurn(unchanged: readonly ImageHeader[], cursor: string, count: number): ImageHeader[] {
  const byId = [...unchanged].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const at = byId.findIndex((h) => h.id > cursor);
  return [...byId.slice(Math.max(at, 0)), ...byId.slice(0, Math.max(at, 0))].slice(0, count);
}

export async function imageView(sr: Sr, use: ViewUse): Promise<LongList> {
  const where = JSON.stringify([sr.place.cluster, sr.place.pool, sr.place.namespace]);
  const headers = await imageHeaders(sr.place, sr.log);
  const view = use === "full" ? { gen: "", cursor: "", seen: new Map<string, Stored>() } : await current(sr, where);
  const same = (h: ImageHeader) => view.seen.get(h.id)?.digest === h.digest;
  const again = use === "pass" ? inTurn(headers.filter(same), view.cursor, Math.ceil(headers.length / REFRESH_EVERY)) : [];
  const toOpen = [...headers.filter((h) => !same(h)), ...again];
  const opened = new Map<string, LongList>();
  for (let i = 0; i < toOpen.length; i += OPEN_BATCH) {
    const batch = toOpen.slice(i, i + OPEN_BATCH).map(({ id, name }) => ({ id, name }));
    for (const row of await imageFacts(sr.place, sr.log, batch)) {
      addTo(opened, row.id ?? "", row);
    }
  }
  const asked = new Set(toOpen.map((h) => h.id));
  const seen = new Map<string, Stored>();
  const opens = new Map<string, Stored>();
  const rows: LongList = [];
  for (const h of headers) {
    const fresh = opened.get(h.id);
    // An image gone between its header's read and its open has no rows, and is not kept: it is
    // opened again if it is listed again.
    const entry = fresh ? { digest: h.digest, rows: fresh } : asked.has(h.id) ? undefined : view.seen.get(h.id);
    if (!entry) continue;
    seen.set(h.id, entry);
    if (fresh) opens.set(h.id, entry);
    for (const r of entry.rows) rows.push(r.image === h.name ? r : { ...r, image: h.name });
  }
  if (use === "pass") {
    const next = { gen: randomUUID(), cursor: again.at(-1)?.id ?? view.cursor, seen };
    await writeView(
      sr,
      opens,
      [...view.seen.keys()].filter((id) => !seen.has(id)),
      next,
    );
    views.set(where, next);
  }
  return rows;
}
