// zod schemas for the `--format json` output of the Ceph CLIs we read (only the fields we use;
// unknown fields are ignored so that a newer Ceph does not break us), and the types of the
// librados session's answers (ceph-session.py writes them in the same shapes).
//
// What a later call passes on to a tool (lock cookies, lockers, client addresses) has its exact
// shape checked here: a lock cookie is whatever its taker chose, and one reading `--something`
// would become an option of the `rbd lock rm` or `rados lock break` that follows. Output that
// fails its shape fails the call, naming the field; nothing of it is passed on.
import * as z from "zod/mini";
import { once } from "../wire/once.js";
import { entityAddr, entityName, lockCookie } from "../wire/ceph-names.js";
import { describeIssue } from "../wire/issues.js";

// The shape of a client address (fencing blocklists them).
export { entityAddr };

// `rados lock info`.
export const LockInfo = once(() =>
  z.object({
    lockers: z.array(z.object({ name: entityName(), cookie: lockCookie(), addr: z.optional(entityAddr()) })),
  }),
);

export interface ImageInfo {
  readonly name: string;
  readonly id: string;
  readonly size: number;
  readonly object_size: number;
  readonly features: string[];
  readonly parent?: { readonly pool: string; readonly image: string; readonly snapshot: string };
}

export type SnapList = Array<{ id: number; name: string; size: number; namespace: { type: "user" | "group" | "trash" | "mirror" } }>;

// The session's image_diff (rbd.ts): byte extents [offset, length], adjacent ones merged, in
// order; `backwards` when the first snapshot was taken after the second (nothing is listed);
// `fast` when the object map narrowed the work (fast-diff on, and valid); `size` the end point's.
export interface ImageDiff {
  readonly backwards: boolean;
  readonly extents: ReadonlyArray<readonly [number, number]>;
  readonly fast: boolean;
  // The size of the diff's end point (the snapshot, or the head), as the diff found it.
  readonly size: number;
}

// The session's trash_list (rbd.ts): with the images each entry still reads, through its head or
// any of its snapshots.
export type TrashList = Array<{ id: string; name: string; parents: string[] }>;

export const Df = once(() =>
  z.object({
    pools: z.array(
      z.object({
        name: z.string(),
        stats: z.object({ stored: z.number(), max_avail: z.number(), quota_bytes: z.optional(z.number()) }),
      }),
    ),
  }),
);

export const Health = once(() =>
  z.object({
    status: z.string(),
    checks: z._default(z.record(z.string(), z.object({ severity: z.string(), summary: z.object({ message: z.string() }) })), {}),
  }),
);
export type Health = z.infer<ReturnType<typeof Health>>;

export const parseJson = <T>(schema: z.ZodMiniType<T>, text: string, what: string): T => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what}: output is not JSON: ${text.slice(0, 200)}`);
  }
  return parseValue(schema, value, what);
};

// A value the session answered, checked as a CLI's output is.
export const parseValue = <T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T => {
  const r = schema.safeParse(value);
  const issue = r.success ? undefined : r.error.issues[0];
  if (!r.success) throw new Error(`${what}: unexpected output shape${issue ? `: ${describeIssue(issue, "output")}` : ""}`);
  return r.data;
};

// What the GC sees of an image's header without opening it (ceph_rbd_session_survey.py).
export type ImageHeader = { id: string; name: string; digest: string };

// `rbd ls -l`'s rows: one per image and per user snapshot, with the clone parent.
export type LongList = Array<{
  image: string;
  id?: string;
  snapshot?: string;
  size: number;
  parent?: { pool: string; pool_namespace?: string; image: string; snapshot: string };
}>;

// `ceph rbd task list`: the mgr rbd_support module's queue.
export const TaskList = once(() =>
  z.array(
    z.object({
      id: z.string(),
      message: z.string(),
      refs: z.object({
        action: z.string(),
        pool_name: z.optional(z.string()),
        pool_namespace: z.optional(z.string()),
        image_name: z.optional(z.string()),
        image_id: z.optional(z.string()),
      }),
      in_progress: z.optional(z.boolean()),
      progress: z.optional(z.number()),
      retry_message: z.optional(z.string()),
    }),
  ),
);
export type TaskList = z.infer<ReturnType<typeof TaskList>>;

// The clients watching an image's header (librbd's watchers_list, as `rbd status` lists them), with
// the global id (`client.<id>`).
export const Watchers = once(() => z.object({ watchers: z.array(z.object({ address: entityAddr(), client: z.number() })) }));

// `rbd device list --format json` (krbd mappings of this host).
export const DeviceList = once(() =>
  z.array(z.object({ pool: z.string(), namespace: z.optional(z.string()), name: z.string(), snap: z.optional(z.string()), device: z.string() })),
);
export type DeviceList = z.infer<ReturnType<typeof DeviceList>>;

// `rbd lock ls --format json`: advisory and exclusive-lock owners of an image.
export const ImageLocks = once(() => z.array(z.object({ id: lockCookie(), locker: entityName(), address: entityAddr() })));
