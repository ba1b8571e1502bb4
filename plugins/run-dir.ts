// This host's run directory (tmpfs under systemd, so emptied at boot): GC pid files, datapath
// state, the bundles' code cache. CEPH_RBD_RUN_DIR moves it (tests and benchmarks use their own).
// Everything in it is root's: pid files name processes to signal, the code cache is code to run.
import { chmodSync, lstatSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { setting } from "./settings.js";

export const runDir = (): string => setting("runDir");

// Why `dir` cannot hold files only this user may have written, or undefined when it can: it must
// be a real directory (not a link), ours, writable by nobody else, in a parent others cannot
// write (or a sticky one). One that others may only read or enter (made 0755 by an earlier
// version, or by a tool's default) is closed to them (0700) before use: nobody else can have
// written into it, but its sockets must not be reachable.
export function privateDirProblem(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const parent = lstatSync(dirname(dir));
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (st.uid !== process.geteuid?.()) return `${dir} belongs to uid ${st.uid}, not to this user`;
    if ((st.mode & 0o022) !== 0) return `${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)})`;
    if ((parent.mode & 0o022) !== 0 && (parent.mode & 0o1000) === 0) return `${dirname(dir)} is writable by other users`;
    if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
    return undefined;
  } catch (e) {
    return `${dir}: ${(e as Error).message}`;
  }
}

// A private directory under the run directory (the run directory itself when `sub` is empty),
// created 0700 and checked; throws with the reason when it is not private.
export function privateRunDir(...sub: string[]): string {
  const top = runDir();
  for (const dir of [top, ...(sub.length > 0 ? [join(top, ...sub)] : [])]) {
    const problem = privateDirProblem(dir);
    if (problem !== undefined) throw new Error(`unsafe run directory: ${problem}`);
  }
  return sub.length > 0 ? join(top, ...sub) : top;
}
