// Ceph failures, classified once here from exit code and stderr, so that nothing above this
// layer ever matches error strings. A CephError is itself a wire error: a service that does
// not give it a more precise meaning lets it travel as-is, with the command's own words.
import { SmapiError } from "../wire/errors.js";

export type CephErrorKind =
  | "not_found"
  | "exists"
  | "busy"
  | "not_empty"
  | "denied"
  | "invalid"
  | "unreachable"
  | "timeout"
  // The cluster lacks the command (an mgr module missing, an older Ceph).
  | "unsupported"
  | "failed";

export class CephError extends SmapiError {
  readonly code = "SR_BACKEND_FAILURE";
  override name = "CephError";
  constructor(
    readonly kind: CephErrorKind,
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`${command}: ${kind}: ${stderr}`);
  }
  get params(): readonly string[] {
    const label = this.kind === "unreachable" || this.kind === "timeout" ? "Ceph_unreachable" : "Ceph_error";
    return [label, `${this.command}: ${this.stderr || this.kind}`];
  }
}

// The session under an operation ended before it answered: its process died (Ceph's C++
// libraries abort the whole process on some races: "terminate called after throwing an instance
// of 'std::system_error'"), or the session service's connection closed. A read is asked again of
// a new session (session.ts); same wire error as any Ceph failure.
export class SessionDied extends CephError {}

// errno values the rbd and rados CLIs return as their exit status, or print as "(N) ...".
const byErrno: Record<number, CephErrorKind> = {
  2: "not_found",
  13: "denied",
  16: "busy",
  17: "exists",
  22: "invalid",
  39: "not_empty",
  108: "unreachable",
  110: "timeout",
};

// librados raises the errno itself, where a CLI's exit status 1 only means "failed".
const byLibradosErrno: Record<number, CephErrorKind> = { ...byErrno, 1: "denied", 95: "unsupported" };

const byText: ReadonlyArray<[RegExp, CephErrorKind]> = [
  [/No handler found|unrecognized command|command not known|\(95\) Operation not supported/i, "unsupported"],
  [/couldn't connect to the cluster|error connecting to the cluster|failed to fetch mon config|unable to get monitor info|timed out|\(110\)/i, "unreachable"],
  [/\(2\) No such file or directory|does not exist|not found|ENOENT|does not have a parent|has no parent/i, "not_found"],
  [/\(17\) File exists|already exists|EEXIST/i, "exists"],
  [/\(16\) Device or resource busy|held by someone else|EBUSY|image is busy|has watchers/i, "busy"],
  [/\(39\) Directory not empty|image has snapshots|not empty|ENOTEMPTY/i, "not_empty"],
  [/\(13\) Permission denied|\(1\) Operation not permitted|access denied|EACCES|EPERM/i, "denied"],
  [/\(22\) Invalid argument|EINVAL/i, "invalid"],
];

export function classify(exitCode: number | undefined, stderr: string): CephErrorKind {
  for (const [re, kind] of byText) if (re.test(stderr)) return kind;
  return (exitCode !== undefined && byErrno[exitCode]) || "failed";
}

// A librados session's failure (ceph-session.py reports a failed connection as ESHUTDOWN).
export const classifyErrno = (errno: number): CephErrorKind => byLibradosErrno[errno] ?? "failed";

// The last meaningful stderr lines, without timestamps and thread ids of Ceph's log prefix.
export function summarise(stderr: string): string {
  return stderr
    .split("\n")
    .map((l) => l.replace(/^\S+T\S+\s+\S+\s+-?\d+\s+/, "").trim())
    .filter((l) => l.length > 0 && !/did not load config file|^In some cases useful info/.test(l))
    .slice(-3)
    .join(" / ")
    .slice(0, 1000);
}

// What a Ceph tool that died of a signal said of it: the C++ runtime's last words ("terminate
// called after throwing...", "what(): ..."), Ceph's "*** Caught signal (...) **", a failed
// assertion. Ceph's handler then dumps its recent log events to stderr, whose tail (log
// settings) would otherwise pass for the message, and whose words would mislead classify.
const lastWords = /terminate called.*|what\(\):.*|\*\*\* Caught signal.*|FAILED ceph_assert.*/;
// The handler's backtrace frames (" 3: (librbd::...) [0x...]"): for the log, to report upstream.
const frame = /^ ?\d+: \S.*/;

export function summariseDeath(stderr: string): { said: string; frames: string[] } {
  const lines = stderr.split("\n");
  const said = [...new Set(lines.map((l) => lastWords.exec(l)?.[0].replace(/\s+/g, " ").trim()).filter((l): l is string => l !== undefined))];
  const frames = [...new Set(lines.filter((l) => frame.test(l)).map((l) => l.trim()))];
  return { said: said.slice(0, 3).join(" / ").slice(0, 1000), frames: frames.slice(0, 16) };
}

// "Not found" as success: the thing is gone already (a retried teardown, a step done before).
export const isNotFound = (e: unknown): boolean => e instanceof CephError && e.kind === "not_found";

// The work's result, or undefined when what it acts on does not exist; other failures travel.
export async function ignoreNotFound<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (e) {
    if (!isNotFound(e)) throw e;
    return undefined;
  }
}
