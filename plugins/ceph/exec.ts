// The one place that starts a Ceph CLI. Arguments go as an array (never through a shell),
// every call has a deadline, and what is logged is scrubbed of anything secret-looking.
import type { Logger } from "../log.js";
import { timeouts } from "./cluster.js";
import { CephError, classify, summarise, summariseDeath } from "./errors.js";
import { cephCalls } from "./stats.js";

// qemu-storage-daemon is a librbd client too: the NBD datapath's export server.
export type Tool = "rbd" | "rados" | "ceph" | "qemu-storage-daemon";

export interface Call {
  readonly tool: Tool;
  readonly args: readonly string[];
  // Extra args for identity and timeouts, kept out of the log line to keep it readable.
  readonly connection: readonly string[];
  readonly log: Logger;
  readonly deadlineMs?: number;
  // Extra environment (CEPH_ARGS for a librbd client that takes no Ceph options of its own).
  readonly env?: Readonly<Record<string, string>>;
  // The call only reads. Ceph's C++ libraries abort the whole process on some races (a listing
  // while the mgr purges), so a read whose tool died of a signal is run once more, within the
  // same deadline. A write is never repeated: whether it was done is unknown.
  readonly read?: true;
}

const secretOption = /^--(key|keyfile|secret|password)(=.*)?$/;

export function scrub(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (secretOption.test(a)) {
      out.push(a.includes("=") ? `${a.split("=")[0]}=***` : a);
      if (!a.includes("=") && i + 1 < args.length) {
        out.push("***");
        i++;
      }
    } else out.push(a.replace(/(secret|key)=[^,&\s]+/gi, "$1=***"));
  }
  return out;
}

// One process of the tool, counted.
async function start(call: Call, timeout: number) {
  const started = Date.now();
  // Loaded on the first CLI call: most verbs make none (their session does the work), and
  // execa's modules cost every verb that imported them 7.6 ms of a Volume.stat's 61 (profiled).
  const { execa } = await import("execa");
  const r = await execa(call.tool, [...call.args, ...call.connection], {
    input: "",
    reject: false,
    timeout,
    forceKillAfterDelay: 2000,
    stripFinalNewline: false,
    encoding: "utf8",
    env: { LC_ALL: "C", ...call.env },
  });
  cephCalls.count += 1;
  cephCalls.cli += 1;
  cephCalls.ms += Date.now() - started;
  return r;
}
type Run = Awaited<ReturnType<typeof start>>;

// Killed by a signal that was not our deadline's.
const died = (r: Run): boolean => r.signal !== undefined && !r.timedOut;

// Logged with its backtrace, which an upstream report needs; returned without.
const deathOf = (call: Call, shown: string, r: Run, ms: number, next = ""): string => {
  const { said, frames } = summariseDeath(r.stderr ?? "");
  const why = `died of ${r.signal}${said ? `: ${said}` : ""}`;
  call.log.warning(`${shown} ${why} (${ms} ms)${next}${frames.length > 0 ? `; backtrace: ${frames.join(" | ")}` : ""}`);
  return why;
};

// Returns stdout; throws a classified CephError on any failure.
export async function runCeph(call: Call): Promise<string> {
  const shown = `${call.tool} ${scrub(call.args).join(" ")}`;
  const deadline = call.deadlineMs ?? timeouts().deadlineMs;
  const started = Date.now();
  let r = await start(call, deadline);
  let ms = Date.now() - started;
  if (died(r) && call.read && deadline - ms > 0) {
    deathOf(call, shown, r, ms, "; running it again");
    r = await start(call, deadline - ms);
    ms = Date.now() - started;
  }
  if (r.exitCode === 0 && !r.failed) {
    call.log.debug(`${shown} (${ms} ms)`);
    return r.stdout;
  }
  // Its stderr is a crash dump, not an answer: nothing in it to classify.
  if (died(r)) throw new CephError("failed", shown, deathOf(call, shown, r, ms));
  const stderr = summarise(r.stderr ?? "");
  if (r.timedOut) {
    call.log.warning(`${shown} timed out after ${ms} ms`);
    throw new CephError("timeout", shown, `no answer within ${Math.round(ms / 1000)} s${stderr ? ` (${stderr})` : ""}`);
  }
  const kind = classify(r.exitCode, r.stderr ?? "");
  call.log.debug(`${shown} failed (${ms} ms, exit ${r.exitCode ?? r.signal}): ${stderr}`);
  throw new CephError(kind, shown, stderr || `exit ${r.exitCode ?? r.signal}`);
}
