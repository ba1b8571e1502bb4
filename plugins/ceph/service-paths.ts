// Where the per-host session service (ceph-session-service.py) lives, and which version a verb
// expects of it. Imports only the settings and python-digest.ts: the launcher's earliest code
// (runtime/early.ts) asks whether a service is there before any bundle loads.
import { lstatSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { VERSION } from "../version.js";
import { setting } from "../settings.js";
import { pythonDigest } from "./python-digest.js";

declare const __PYTHON_DIGEST__: string | undefined;

// A function, not a constant: computed only by a process that starts the service or has no
// built-in digest, not by every verb as its bundle loads.
export const serviceScript = (): string => fileURLToPath(new URL("./ceph-session-service.py", import.meta.url));

export const serviceOn = (): boolean => setting("service") === "on";
export const serviceDir = (): string => join(setting("runDir"), "session-service");
export const socketPath = (): string => join(serviceDir(), "socket");
// The running service's identity (pid-file.ts's format), and its lock: it holds a flock on it.
export const servicePidFile = (): string => join(serviceDir(), "service.pid");

// Why the socket must not be used, "missing" when there is none, or undefined when it may: it
// and its directory must be this user's (root's) alone, so that no other user can stand in for
// the service, nor reach it.
export function socketProblem(path = socketPath()): string | undefined {
  try {
    const dir = lstatSync(dirname(path));
    const uid = process.geteuid?.();
    if (!dir.isDirectory()) return `${dirname(path)} is not a directory`;
    if (dir.uid !== uid || (dir.mode & 0o077) !== 0) return `${dirname(path)} is not private (uid ${dir.uid}, mode ${(dir.mode & 0o777).toString(8)})`;
    const st = lstatSync(path);
    if (!st.isSocket()) return `${path} is not a socket`;
    if (st.uid !== uid || (st.mode & 0o077) !== 0) return `${path} is not private (uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`;
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : (e as Error).message;
  }
}

// What a verb requires of the service it uses: the plugin's version, the digest of its Python files
// (python-digest.ts), and which Python runs them (device and inode of the executable, so that a
// verb running in a root of another Ceph release, which sees the same /run, never shares its
// service with the host's verbs: the bindings differ). The service answers with the version it
// was started with.
const expected = new Map<string, string>();
export function serviceVersion(): string {
  const py = setting("python");
  const known = expected.get(py);
  if (known !== undefined) return known;
  const digest = typeof __PYTHON_DIGEST__ === "string" ? __PYTHON_DIGEST__ : pythonDigest(dirname(serviceScript()));
  let exe = "none";
  try {
    const st = statSync(py);
    exe = `${st.dev}.${st.ino}`;
  } catch {
    // No such Python: the service will not start either, and the verb falls back.
  }
  const v = `${VERSION}:${digest}:${exe}`;
  expected.set(py, v);
  return v;
}
