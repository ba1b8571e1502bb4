// How a verb reaches the per-host session service: checks its socket (root's alone), connects
// within a bound, and greets it with the version it expects. A service that is not there is
// started (detached: it outlives the verb) and waited for, briefly; one of another version is
// asked to leave and replaced. Whatever else goes wrong, the verb runs its own session instead
// (session.ts), after one warning: this process then no longer tries the service.
import { JSONRPCErrorException } from "json-rpc-2.0";
import type { Logger } from "../log.js";
import { recordedProcess } from "../pid-file.js";
import { connectSocket, ServiceConnection, VERSION_MISMATCH } from "./service-client.js";
import { serviceOn, servicePidFile, serviceVersion, socketPath, socketProblem } from "./service-paths.js";
import { startedHere, startService } from "./service-start.js";

// A connection to a live service is made in about a millisecond: these bounds only cut short a
// service that is stuck, never a healthy one.
const CONNECT_MS = 1000;
const HELLO_MS = 2000;
// How long a verb waits for a service it started (Python's start, the imports, the bind).
const START_WAIT_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let given: string | undefined;
let ownOnly = false;

// For a process of bulk work (ceph-rbd-admin: the GC worker, gc run, fsck): it keeps to a session
// of its own, whatever the setting. The service is for verbs' short calls: a GC survey's header
// reads and opens (8 threads, ~25 MiB more at 10,000 images) would take its memory past its bound
// and fill its operations in flight under verbs' deadlines.
export function ownSessionsOnly(): void {
  ownOnly = true;
}

async function greet(path: string): Promise<ServiceConnection> {
  const conn = new ServiceConnection(await connectSocket(path, CONNECT_MS));
  try {
    await conn.request("hello", { version: serviceVersion() }, "session service hello", HELLO_MS);
    return conn;
  } catch (e) {
    if (e instanceof JSONRPCErrorException && e.code === VERSION_MISMATCH) {
      // Another build's service: it leaves (verbs it serves finish first), and ours takes over.
      await conn.request("leave", {}, "session service leave", HELLO_MS).catch(() => undefined);
    }
    conn.end();
    throw e;
  }
}

// A connection to a started service, once its socket answers.
async function awaitStarted(path: string): Promise<ServiceConnection> {
  const until = Date.now() + START_WAIT_MS;
  for (;;) {
    const problem = socketProblem(path);
    if (problem === undefined) {
      try {
        return await greet(path);
      } catch (e) {
        if (Date.now() > until) throw e;
      }
    } else if (problem !== "missing" || Date.now() > until) {
      throw new Error(problem === "missing" ? `no session service within ${START_WAIT_MS} ms` : problem);
    }
    // Two lstat calls a look: a short period costs nothing, and a cold verb waits half of it on
    // average past the bind (20 ms -> 5 ms).
    await sleep(5);
  }
}

async function connectOrStart(log: Logger): Promise<ServiceConnection> {
  const path = socketPath();
  const problem = socketProblem(path);
  if (problem !== undefined && problem !== "missing") throw new Error(`refusing its socket: ${problem}`);
  // A service that runs without its socket holds the lock: another would not start.
  const running = problem === "missing" ? recordedProcess(servicePidFile()) : undefined;
  if (running !== undefined) throw new Error(`its socket is missing while pid ${running} runs`);
  // Started by the launcher a moment ago (runtime/early.ts): it is on its way.
  if (problem === "missing" && startedHere()) return awaitStarted(path);
  if (problem === undefined) {
    try {
      return await greet(path);
    } catch (e) {
      // Refused (a service that died left its socket) or of another version: a new one.
      const mismatch = e instanceof JSONRPCErrorException && e.code === VERSION_MISMATCH;
      const refused = (e as NodeJS.ErrnoException).code === "ECONNREFUSED";
      if (!mismatch && !refused) throw e;
      log.info(mismatch ? "the session service runs another version; starting this one's" : "the session service is gone; starting it again");
    }
  }
  startService();
  return awaitStarted(path);
}

// A connection to the service, or undefined when this process uses its own session (the
// service is off, or unreachable: then said once, as a warning).
export async function reachService(log: Logger): Promise<ServiceConnection | undefined> {
  if (!serviceOn() || ownOnly || given !== undefined) return undefined;
  try {
    return await connectOrStart(log);
  } catch (e) {
    giveUp(log, (e as Error).message);
    return undefined;
  }
}

// This process stops using the service, with one warning.
export function giveUp(log: Logger, why: string): void {
  if (given !== undefined) return;
  given = why;
  log.warning(`session service unusable (${why}); this process uses a librados session of its own`);
}

// For a long-running process between bursts of work (the GC worker): the next burst tries again.
export function retryService(): void {
  given = undefined;
}
