// The librados session's Python process (ceph-session.py): how it starts, and the spare one a
// verb starts before it knows its cluster. Two bundles share the spare, the launchers' early one
// (runtime/early.ts) and the plugin's, so it lives on a global slot.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./ceph-session.py", import.meta.url));
// The system Python, whose rados and rbd modules come with ceph-common (PATH may hold others).
export const python = (): string => process.env.CEPH_RBD_PYTHON || "/usr/bin/python3";

export function startProcess(): ChildProcessWithoutNullStreams {
  // -S: no site processing (ceph-session.py finds the system's packages itself). Two malloc
  // arenas, not one per thread: the session's threads come and go with its requests, and each
  // arena would keep what it once held (measured: 15 MiB less after 160 listings).
  const child = spawn(python(), ["-E", "-S", SCRIPT], { stdio: "pipe", env: { ...process.env, LC_ALL: "C", MALLOC_ARENA_MAX: "2" } });
  child.unref();
  for (const s of [child.stdout, child.stderr, child.stdin]) (s as unknown as Socket).unref();
  return child;
}

const SLOT = Symbol.for("ceph-rbd.session-spare");
const slot = globalThis as { [SLOT]?: ChildProcessWithoutNullStreams };

// For a process that will talk to Ceph: Python starts beside Node's own start-up, and waits for
// the cluster's configuration. Unused, it ends with this process.
export function prewarm(): void {
  if (slot[SLOT]) return;
  const child = startProcess();
  slot[SLOT] = child;
  // A spare that died (Python or its modules missing) would never answer: a session starts its
  // own, whose failure it then reports.
  const drop = () => slot[SLOT] === child && delete slot[SLOT];
  child.on("error", drop).on("close", drop);
}

// The spare process if there is one (it is then no longer spare), else a new one.
export function takeProcess(): ChildProcessWithoutNullStreams {
  const child = slot[SLOT] ?? startProcess();
  delete slot[SLOT];
  return child;
}
