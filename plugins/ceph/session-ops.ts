// Every operation of the session helper (ceph-session.py's OPS and CLUSTER_OPS), in one table: a
// unit test checks that it names exactly the helper's operations, and which of them are RADOS
// ones (served without waiting for librbd to load).
//   access: read  only reads: one whose session died is asked once more of a new session
//           write changes the cluster: never repeated (whether it was done is unknown, its
//                 journal decides), and not started under a lock known to be lost (holds.ts)
//           lock  takes, renews or releases a lock: how a lost lock is found lost, and released
//           redo  changes the cluster, but doing it twice is doing it once: asked again of a new
//                 session, like a read
//   on:     rados an object in the pool's namespace; rbd images and namespaces; cluster a mon or
//           mgr command
type Access = "read" | "write" | "lock" | "redo";
type On = "rados" | "rbd" | "cluster";

export const SESSION_OPS = {
  omap_list: { access: "read", on: "rados" },
  omap_read: { access: "read", on: "rados" },
  omap_update: { access: "write", on: "rados" },
  obj_remove: { access: "write", on: "rados" },
  lock: { access: "lock", on: "rados" },
  unlock: { access: "lock", on: "rados" },
  image_create: { access: "write", on: "rbd" },
  image_info: { access: "read", on: "rbd" },
  image_watchers: { access: "read", on: "rbd" },
  image_list: { access: "read", on: "rbd" },
  image_resize: { access: "write", on: "rbd" },
  image_remove: { access: "write", on: "rbd" },
  trash_move: { access: "write", on: "rbd" },
  snap_create: { access: "write", on: "rbd" },
  snap_remove: { access: "write", on: "rbd" },
  snap_list: { access: "read", on: "rbd" },
  image_du: { access: "read", on: "rbd" },
  image_diff: { access: "read", on: "rbd" },
  trash_snap_count: { access: "read", on: "rbd" },
  trash_list: { access: "read", on: "rbd" },
  image_headers: { access: "read", on: "rbd" },
  image_facts: { access: "read", on: "rbd" },
  clone: { access: "write", on: "rbd" },
  ns_create: { access: "write", on: "rbd" },
  ns_remove: { access: "write", on: "rbd" },
  ns_list: { access: "read", on: "rbd" },
  // The commands sent (mon.ts) read (df, health, rbd task list) or queue an rbd_support task,
  // which the mgr de-duplicates (a task already queued is returned, not queued twice).
  command: { access: "redo", on: "cluster" },
} as const satisfies Record<string, { access: Access; on: On }>;

export type SessionOp = keyof typeof SESSION_OPS;

export const accessOf = (op: string): Access | undefined => (op in SESSION_OPS ? SESSION_OPS[op as SessionOp].access : undefined);
