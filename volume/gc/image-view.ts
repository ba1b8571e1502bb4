// The GC's view of every image and user snapshot of an SR, as `rbd ls -l` would list them, without
// opening every image on every pass: opening costs ~3 ms of CPU an image (30 s at 10,000), a
// header read a fraction of that. Each image's header is digested (one omap read) and only an
// image whose digest was not seen before is opened; the rest is what its last open said, kept by
// this process and in the SR (view-store.ts) for the next worker, on any host.
// A header holds all that an open reports (size, parent, snapshots, their parents), so an image
// that changed in any of those changes its digest. The name of a parent is the one exception
// (rows name it, the child's header holds its id): a parent renamed outside the product would go
// unseen, so a few unchanged images are opened again each pass, the longest unopened first.
import type { ImageHeader, LongList } from "../../plugins/ceph/outputs.js";
import { imageFacts, imageHeaders } from "../../plugins/ceph/rbd.js";
import type { Sr } from "../meta/store.js";
import { readView, type Stored, writeView } from "./view-store.js";

// pass: a GC pass, which keeps what it opened for the next; look: a read-only look (gc status),
// which uses what was kept and keeps nothing; full: every image opened (fsck).
export type ViewUse = "pass" | "look" | "full";

interface Seen extends Stored {
  readonly pass: number;
}

// Images opened per session call: each call well within the operation's deadline.
const OPEN_BATCH = 256;
// Unchanged images opened again each pass: one in REFRESH_EVERY (at least one), so that every
// image is opened again within that many passes, whatever the SR's size.
const REFRESH_EVERY = 64;

const views = new Map<string, { pass: number; seen: Map<string, Seen> }>();

async function known(sr: Sr, where: string): Promise<{ pass: number; seen: Map<string, Seen> }> {
  const mine = views.get(where);
  if (mine) return mine;
  const stored = await readView(sr);
  return { pass: 0, seen: new Map([...stored].map(([id, s]) => [id, { ...s, pass: 0 }])) };
}

export async function imageView(sr: Sr, use: ViewUse): Promise<LongList> {
  const where = JSON.stringify([sr.place.cluster, sr.place.pool, sr.place.namespace]);
  const headers = await imageHeaders(sr.place, sr.log);
  const view = use === "full" ? { pass: 0, seen: new Map<string, Seen>() } : await known(sr, where);
  const pass = view.pass + 1;
  const same = (h: ImageHeader) => view.seen.get(h.id)?.digest === h.digest;
  const again = use === "pass" ? headers.filter(same).sort((a, b) => (view.seen.get(a.id)?.pass ?? 0) - (view.seen.get(b.id)?.pass ?? 0)) : [];
  const toOpen = [...headers.filter((h) => !same(h)), ...again.slice(0, Math.ceil(headers.length / REFRESH_EVERY))];
  const opened = new Map<string, LongList>();
  for (let i = 0; i < toOpen.length; i += OPEN_BATCH) {
    const batch = toOpen.slice(i, i + OPEN_BATCH);
    for (const row of await imageFacts(
      sr.place,
      sr.log,
      batch.map(({ id, name }) => ({ id, name })),
    )) {
      const id = row.id ?? "";
      opened.set(id, [...(opened.get(id) ?? []), row]);
    }
  }
  const asked = new Set(toOpen.map((h) => h.id));
  const seen = new Map<string, Seen>();
  const opens = new Map<string, Stored>();
  const rows: LongList = [];
  for (const h of headers) {
    const fresh = opened.get(h.id);
    // An image gone between its header's read and its open has no rows, and is not kept: it is
    // opened again if it is listed again.
    const entry = fresh ? { digest: h.digest, rows: fresh, pass } : asked.has(h.id) ? undefined : view.seen.get(h.id);
    if (!entry) continue;
    seen.set(h.id, entry);
    if (fresh) opens.set(h.id, entry);
    for (const r of entry.rows) rows.push(r.image === h.name ? r : { ...r, image: h.name });
  }
  if (use === "pass") {
    await writeView(
      sr,
      opens,
      [...view.seen.keys()].filter((id) => !seen.has(id)),
    );
    views.set(where, { pass, seen });
  }
  return rows;
}
