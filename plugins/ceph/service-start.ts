// Starts the per-host session service (ceph-session-service.py), detached: it outlives the verb.
// At most one runs (it takes a lock), so verbs racing here start one. Raw, not through execa, like
// the session's own Python (session-process.ts): the launcher calls this before the bundle loads
// (runtime/early.ts), so that Python's start, the rados bindings' import and the bind overlap
// Node's own start-up, and execa is not in the launcher's bundle.
import { childProcess } from "../builtin.js";
import { privateRunDir } from "../run-dir.js";
import { setting } from "../settings.js";
import { serviceScript, servicePidFile, serviceVersion, socketPath } from "./service-paths.js";
import { python } from "./session-process.js";

// Whether this process started one already (the launcher's bundle and the plugin's share it).
const SLOT = Symbol.for("ceph-rbd.service-started");
const slot = globalThis as { [SLOT]?: boolean };
export const startedHere = (): boolean => slot[SLOT] === true;

export function startService(): void {
  privateRunDir("session-service");
  const { spawn } = childProcess();
  const args = ["-E", "-S", serviceScript(), "--socket", socketPath(), "--pid-file", servicePidFile(), "--version", serviceVersion()];
  args.push("--idle", String(setting("serviceIdle")), "--syslog", setting("syslogSocket"));
  // Two malloc arenas, as for the verb's own session (session-process.ts).
  const child = spawn(python(), args, { detached: true, stdio: "ignore", env: { ...process.env, LC_ALL: "C", MALLOC_ARENA_MAX: "2" } });
  child.on("error", () => undefined);
  child.unref();
  slot[SLOT] = true;
}
