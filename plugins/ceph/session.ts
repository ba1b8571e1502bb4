// The one librados session of this process: the host's session service (service-reach.ts,
// ceph-session-service.py), whose client is connected already, or else a Python helper of its own
// (ceph-session.py) that connects once; either runs each RADOS or RBD operation in milliseconds,
// where a CLI process costs tens of milliseconds before its first operation. Same rules as the
// CLI gateway (exec.ts): names travel as JSON values, never through a shell; every operation has
// a deadline; what is logged holds no secret (the keyring is a path, read by librados itself).
import type { Socket } from "node:net";
import { clearSyslogSink, setSyslogSink, type Logger, type SyslogLine } from "../log.js";
import { sessionConfig, timeouts, type ClusterRef, type Place } from "./cluster.js";
import { CephError, classifyErrno, SessionDied, summarise } from "./errors.js";
import { assertHeld, clientKey } from "./holds.js";
import { accessOf, SESSION_OPS, type SessionOp } from "./session-ops.js";
import { giveUp, reachService, retryService } from "./service-reach.js";
import { socketPath } from "./service-paths.js";
import { python, takeProcess, type SessionProcess } from "./session-process.js";
import { cephCalls } from "./stats.js";

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly shown: string;
  readonly timer: NodeJS.Timeout;
}

interface Answer {
  readonly id: number;
  readonly ok?: unknown;
  readonly errno?: number;
  readonly msg?: string;
}

// An answer line, or undefined for anything else (the helper answers a line it could not read
// with id null; a stray line is no answer at all): nothing Python prints may throw here.
function answerOf(line: string): Answer | undefined {
  let a: unknown;
  try {
    a = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof a !== "object" || a === null || typeof (a as Answer).id !== "number") return undefined;
  const { errno } = a as Answer;
  return errno === undefined || typeof errno === "number" ? (a as Answer) : undefined;
}

class Session {
  private readonly proc: SessionProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = "";
  private closed = false;

  constructor(
    ref: ClusterRef,
    private readonly onClose: () => void,
  ) {
    this.proc = takeProcess();
    const { child, requests, answers, stderr } = this.proc;
    requests.write(`${JSON.stringify(sessionConfig(ref))}\n`);
    // Answers are lines; a large one (an SR's whole omap) arrives in many chunks, each searched
    // once for the line's end.
    let buffered = "";
    answers.setEncoding("utf8").on("data", (chunk: string) => {
      let from = buffered.length;
      buffered += chunk;
      for (let nl = buffered.indexOf("\n", from); nl >= 0; nl = buffered.indexOf("\n", from)) {
        const a = answerOf(buffered.slice(0, nl));
        if (a) this.settle(a);
        buffered = buffered.slice(nl + 1);
        from = 0;
      }
    });
    answers.on("error", () => undefined);
    stderr.setEncoding("utf8").on("data", (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    child.on("error", (e) => this.close(`cannot start ${python()}: ${e.message}`));
    child.on("close", (code, signal) => this.close(summarise(this.stderr) || `exited (${code ?? signal})`, true));
    requests.on("error", () => undefined);
    this.idle();
  }

  call(shown: string, request: Record<string, unknown>, deadlineMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new CephError("failed", shown, "librados session ended"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A stuck operation may hold the session's threads: start afresh next time.
        this.pending.delete(id);
        reject(new CephError("timeout", shown, `no answer within ${Math.round(deadlineMs / 1000)} s`));
        this.close(`${shown} got no answer`);
        this.proc.child.kill("SIGKILL");
      }, deadlineMs);
      this.pending.set(id, { resolve, reject, shown, timer });
      this.busy();
      this.proc.requests.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  // No more requests: Python exits at the end of its input.
  end(): void {
    this.close("ended");
    this.proc.requests.end();
  }

  private settle(a: Answer): void {
    const p = this.pending.get(a.id);
    if (!p) return;
    this.pending.delete(a.id);
    clearTimeout(p.timer);
    if (this.pending.size === 0) this.idle();
    if (a.errno === undefined) p.resolve(a.ok);
    else p.reject(new CephError(classifyErrno(a.errno), p.shown, a.msg ?? `errno ${a.errno}`));
  }

  private close(why: string, died = false): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new (died ? SessionDied : CephError)("failed", p.shown, `librados session ended: ${why}`));
    }
    this.pending.clear();
  }

  // The session must not keep this process alive on its own, only while an answer is awaited.
  // (Pipes to a child are sockets, which can be unreferenced.)
  private busy(): void {
    this.proc.child.ref();
    (this.proc.answers as unknown as Socket).ref();
  }
  private idle(): void {
    this.proc.child.unref();
    for (const s of [this.proc.answers, this.proc.stderr, this.proc.requests]) (s as unknown as Socket).unref();
  }
}

// A session: this process's own Python (Session), or its connection to the per-host service.
interface Asker {
  call(shown: string, request: Record<string, unknown>, deadlineMs: number): Promise<unknown>;
  end(): void;
}

const sessions = new Map<string, Promise<Asker>>();
// How many sessions of each client reference have ended: a lock belongs to the librados client
// that took it, and a session replaced after it died or hung is another client (locks.ts re-takes
// the locks the work under way holds). The service keeps one client for a connection's life
// (ceph_rbd_service_clients.py), so a new connection or a session of our own is a new client.
const generations = new Map<string, number>();
export const sessionGeneration = (c: ClusterRef): number => generations.get(clientKey(c)) ?? 0;

// The service when it answers, else a session of this process's own.
async function open(ref: ClusterRef, log: Logger, onClose: () => void): Promise<Asker> {
  const conn = await reachService(log);
  if (conn === undefined) {
    log.debug("librados session: a process of its own");
    return new Session(ref, onClose);
  }
  const sink = (lines: readonly SyslogLine[]) => conn.syslog(lines);
  setSyslogSink(sink);
  conn.onClose = (why, failed) => {
    clearSyslogSink(sink);
    onClose();
    if (failed) giveUp(log, why);
  };
  log.debug(`librados session: the session service (${socketPath()})`);
  return { call: (shown, request, ms) => conn.op(ref, shown, request, ms), end: () => conn.end() };
}

const sessionFor = (ref: ClusterRef, log: Logger): Promise<Asker> => {
  const key = clientKey(ref);
  let s = sessions.get(key);
  if (!s) {
    // A session that ended is counted at once, not when the next one opens: a write under a lock
    // re-takes it (holds.ts) before it asks the next session.
    const mine: Promise<Asker> = open(ref, log, () => {
      generations.set(key, (generations.get(key) ?? 0) + 1);
      if (sessions.get(key) === mine) sessions.delete(key);
    });
    s = mine;
    sessions.set(key, s);
  }
  return s;
};

// Ends every session of this process: for a long-running process between bursts of work, so
// that while idle it holds no Python process nor connection (the next operation opens one again,
// and tries the service again).
export function closeSessions(): void {
  for (const s of sessions.values()) void s.then((a) => a.end());
  sessions.clear();
  retryService();
}

// A read (or a redo) whose session died is asked once more of a new session (session-ops.ts): the
// question is still valid, and an admin command or a GC pass need not fail for a crash of the helper.

async function ask(c: ClusterRef, log: Logger, shown: string, request: Record<string, unknown>, started: number, deadlineMs: number): Promise<unknown> {
  try {
    return await (await sessionFor(c, log)).call(shown, request, deadlineMs);
  } catch (e) {
    // Within the operation's one deadline, not a second one.
    const left = deadlineMs - (Date.now() - started);
    const access = accessOf(String(request.op));
    if (!(e instanceof SessionDied) || (access !== "read" && access !== "redo") || left <= 0) throw e;
    log.warning(`${shown}: ${e.stderr}; asking a new session`);
    return (await sessionFor(c, log)).call(shown, request, left);
  }
}

async function run<T>(c: ClusterRef, log: Logger, shown: string, request: Record<string, unknown>, deadlineMs = timeouts().sessionMs): Promise<T> {
  const started = Date.now();
  try {
    const r = (await ask(c, log, shown, request, started, deadlineMs)) as T;
    log.debug(`${shown} (${Date.now() - started} ms)`);
    return r;
  } catch (e) {
    log.debug(`${shown} failed (${Date.now() - started} ms): ${(e as Error).message}`);
    throw e;
  } finally {
    cephCalls.count += 1;
    cephCalls.ms += Date.now() - started;
  }
}

// Runs one operation of ceph-session.py in the place's pool and namespace. `shown` names it in
// logs and errors the way its CLI equivalent would.
// A write under a lock known to be lost does not start (holds.ts).
// `deadlineMs` is for the one operation whose work grows with the image (a diff without fast-diff).
export async function librados<T>(
  p: Place,
  log: Logger,
  shown: string,
  op: Exclude<SessionOp, "command">,
  args: Record<string, unknown> = {},
  deadlineMs?: number,
): Promise<T> {
  if (SESSION_OPS[op].access === "write") assertHeld();
  return run(p.cluster, log, shown, { op, pool: p.pool, ns: p.namespace, ...args }, deadlineMs);
}

// A monitor or mgr command, as `ceph <prefix> ...` sends it (JSON), with the op timeout (an mgr
// command with the mgr's own, shorter one: ceph-session.py); returns its output text.
export const clusterCommand = (c: ClusterRef, log: Logger, target: "mon" | "mgr", cmd: { prefix: string } & Record<string, unknown>): Promise<string> =>
  run(
    c,
    log,
    `ceph ${cmd.prefix}${Object.entries(cmd)
      .filter(([k]) => k !== "prefix" && k !== "format")
      .map(([, v]) => ` ${String(v)}`)
      .join("")}`,
    { op: "command", target, cmd, timeout: target === "mgr" ? timeouts().mgr : timeouts().op },
  );
