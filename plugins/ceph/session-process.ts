// The librados session's Python process (ceph-session.py): how it starts, and the spare one a
// verb starts before it knows its cluster. Two bundles share the spare, the launchers' early one
// (runtime/early.ts) and the plugin's, so it lives on a global slot.
import { childProcess } from "../builtin.js";
import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { setting } from "../settings.js";

// Computed when a session starts, not as the bundle loads (pathToFileURL: ~1% of a warm verb).
const script = (): string => fileURLToPath(new URL("./ceph-session.py", import.meta.url));
// The system Python, whose rados and rbd modules come with ceph-common (PATH may hold others).
export const python = (): string => setting("python");

// The process and its pipes: requests in on stdin, answers out on fd 3 (stdout is not read: a
// library that prints there cannot break the answers' lines), stderr kept for errors.
export interface SessionProcess {
  readonly child: ChildProcess;
  readonly requests: Writable;
  readonly answers: Readable;
  readonly stderr: Readable;
}

export function startProcess(): SessionProcess {
  // Loaded here, not with the launcher: a verb served by the session service, or one that needs
  // no Ceph, starts no process (log.ts).
  const { spawn } = childProcess();
  // -S: no site processing (ceph-session.py finds the system's packages itself). Two malloc
  // arenas, not one per thread: the session's threads come and go with its requests, and each
  // arena would keep what it once held (measured: 15 MiB less after 160 listings).
  const child = spawn(python(), ["-E", "-S", script()], {
    stdio: ["pipe", "ignore", "pipe", "pipe"],
    env: { ...process.env, LC_ALL: "C", MALLOC_ARENA_MAX: "2" },
  });
  const p = { child, requests: child.stdin as Writable, answers: child.stdio[3] as Readable, stderr: child.stderr as Readable };
  child.unref();
  for (const s of [p.answers, p.stderr, p.requests]) (s as unknown as Socket).unref();
  return p;
}

const SLOT = Symbol.for("ceph-rbd.session-spare");
const slot = globalThis as { [SLOT]?: SessionProcess };

// For a process that will talk to Ceph: Python starts beside Node's own start-up, and waits for
// the cluster's configuration. Unused, it ends with this process.
export function prewarm(): void {
  if (slot[SLOT]) return;
  const spare = startProcess();
  slot[SLOT] = spare;
  // A spare that died (Python or its modules missing) would never answer: a session starts its
  // own, whose failure it then reports.
  const drop = () => slot[SLOT] === spare && delete slot[SLOT];
  spare.child.on("error", drop).on("close", drop);
}

// The spare process if there is one (it is then no longer spare), else a new one.
export function takeProcess(): SessionProcess {
  const p = slot[SLOT] ?? startProcess();
  delete slot[SLOT];
  return p;
}
