// Pid files that name one process exactly: its pid, its start time (field 22 of
// /proc/<pid>/stat, in clock ticks since boot) and its exact arguments. A pid alone outlives its
// process: after a crash the kernel gives it to another, and whoever trusts the file then
// signals a stranger (or takes it for the process it wanted and starts none). A pid counts as
// the recorded process only while all three match.
//
//   <pid>\n<start time>\n<arguments as a JSON array>\n
//
// The pid comes first and alone on its line, for shell scripts (`head -n1`). Files live in a
// private directory (run-dir.ts) and are read and written as private files (private-file.ts):
// a link, or a file another user could have written, is nobody's pid file.
import { readFileSync } from "node:fs";
import { readPrivateFile, writePrivateFile } from "./private-file.js";

export interface ProcessIdentity {
  readonly pid: number;
  // Clock ticks since boot, as the kernel prints it (a decimal string: it may exceed 2^53).
  readonly start: string;
  readonly argv: readonly string[];
}

// The comm field (2) sits in parentheses and may itself hold spaces and parentheses: the fields
// after it start after the last ')'. Field 3 is the state, so field 22 is the 20th from there.
export function startTimeOf(stat: string): string | undefined {
  const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = after[22 - 3];
  return after[0] !== "Z" && start !== undefined && /^[0-9]+$/.test(start) ? start : undefined;
}

// What the process with this pid is now, or undefined when there is none (or only a zombie).
export function identityOf(pid: number): ProcessIdentity | undefined {
  try {
    const start = startTimeOf(readFileSync(`/proc/${pid}/stat`, "utf8"));
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (argv.at(-1) === "") argv.pop();
    return start === undefined ? undefined : { pid, start, argv };
  } catch {
    return undefined;
  }
}

const sameIdentity = (a: ProcessIdentity, b: ProcessIdentity): boolean =>
  a.pid === b.pid && a.start === b.start && a.argv.length === b.argv.length && a.argv.every((x, i) => x === b.argv[i]);

export function parsePidFile(text: string): ProcessIdentity | undefined {
  const [pid, start, argv, rest] = text.split("\n");
  if (!pid || !/^[1-9][0-9]{0,9}$/.test(pid) || !start || !/^[0-9]+$/.test(start) || !argv || (rest !== undefined && rest !== "")) return undefined;
  try {
    const list: unknown = JSON.parse(argv);
    return Array.isArray(list) && list.length > 0 && list.every((a) => typeof a === "string") ? { pid: Number(pid), start, argv: list } : undefined;
  } catch {
    return undefined;
  }
}

// The recorded identity, or undefined when the file is missing, malformed or not private.
export function readPidFile(path: string): ProcessIdentity | undefined {
  const r = readPrivateFile(path);
  return "data" in r && r.data.length <= 64 * 1024 ? parsePidFile(r.data.toString("utf8")) : undefined;
}

export function writePidFile(path: string, id: ProcessIdentity): void {
  writePrivateFile(path, `${id.pid}\n${id.start}\n${JSON.stringify(id.argv)}\n`);
}

// The pid of the process the file records, while that very process runs.
export function recordedProcess(path: string): number | undefined {
  const recorded = readPidFile(path);
  if (recorded === undefined) return undefined;
  const now = identityOf(recorded.pid);
  return now !== undefined && sameIdentity(recorded, now) ? recorded.pid : undefined;
}
