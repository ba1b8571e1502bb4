// A verb's connection to the per-host session service (ceph-session-service.py): JSON-RPC 2.0,
// one message a line, over the service's unix socket. It serves the same operations as the
// verb's own Python session (session.ts) with the same rules: every request has a deadline, a
// Ceph failure carries the errno that classifyErrno maps, and a connection that ends under a
// request fails it as a dead session would (SessionDied: a read is asked again, a write never).
import { createConnection, type Socket } from "node:net";
import { JSONRPCClient, JSONRPCErrorException } from "json-rpc-2.0";
import type { SyslogLine } from "../log.js";
import { sessionConfig, type ClusterRef } from "./cluster.js";
import { CephError, classifyErrno, SessionDied } from "./errors.js";

// The service's error codes (ceph_rbd_service_conn.py).
export const CEPH_FAILURE = -32000;
export const VERSION_MISMATCH = -32001;

// Connects within `ms`, or rejects.
export function connectSocket(path: string, ms: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const timer = setTimeout(() => sock.destroy(new Error(`no connection within ${ms} ms`)), ms);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      resolve(sock);
    });
    sock.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export class ServiceConnection {
  private readonly rpc: JSONRPCClient;
  private readonly pending = new Map<number, { reject: (e: Error) => void; timer: NodeJS.Timeout; shown: string }>();
  private nextCall = 1;
  private closed: string | undefined;
  // Told once when the connection ends, with why and whether it ended under the verb (the
  // service died, or did not answer in time) rather than by end().
  onClose: (why: string, failed: boolean) => void = () => undefined;

  constructor(private readonly sock: Socket) {
    this.rpc = new JSONRPCClient((payload) => {
      sock.write(`${JSON.stringify(payload)}\n`);
    });
    let buffered = "";
    sock.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.rpc.receive(JSON.parse(line));
        } catch {
          // Not an answer: nothing the service sends may throw here.
        }
      }
    });
    sock.on("error", () => undefined);
    sock.on("close", () => this.close("the session service closed the connection", true));
    sock.unref();
  }

  // One request, answered within `ms`; a JSON-RPC error rejects with JSONRPCErrorException.
  request(method: string, params: Record<string, unknown>, shown: string, ms: number): Promise<unknown> {
    if (this.closed !== undefined) return Promise.reject(new SessionDied("failed", shown, this.closed));
    const call = this.nextCall++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(call);
        reject(new CephError("timeout", shown, `no answer within ${Math.round(ms / 1000)} s`));
        // A stuck operation: this verb's later ones go elsewhere (session.ts starts afresh).
        this.close(`${shown} got no answer`);
      }, ms);
      this.pending.set(call, { reject, timer, shown });
      this.sock.ref();
      const settle = () => {
        clearTimeout(timer);
        this.pending.delete(call);
        if (this.pending.size === 0) this.sock.unref();
      };
      this.rpc.request(method, params).then(
        (r: unknown) => {
          if (!this.pending.has(call)) return;
          settle();
          resolve(r);
        },
        (e: unknown) => {
          if (!this.pending.has(call)) return;
          settle();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  // One session operation for the cluster `ref` ({op, pool, ns, ...} as ceph-session.py takes it).
  async op(ref: ClusterRef, shown: string, request: Record<string, unknown>, ms: number): Promise<unknown> {
    try {
      return await this.request("op", { client: sessionConfig(ref), req: request }, shown, ms);
    } catch (e) {
      if (!(e instanceof JSONRPCErrorException)) throw e;
      const errno = (e.data as { errno?: unknown } | undefined)?.errno;
      throw new CephError(e.code === CEPH_FAILURE && typeof errno === "number" ? classifyErrno(errno) : "failed", shown, e.message);
    }
  }

  // The verb's syslog lines, handed over without an answer (log.ts); false once the connection
  // has ended.
  syslog(lines: readonly SyslogLine[]): boolean {
    if (this.closed !== undefined) return false;
    this.rpc.notify("syslog", { lines });
    return true;
  }

  end(): void {
    this.close("ended");
    this.sock.end();
  }

  private close(why: string, died = false): void {
    if (this.closed !== undefined) return;
    this.closed = why;
    this.onClose(why, why !== "ended");
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new (died ? SessionDied : CephError)("failed", p.shown, `session service connection ended: ${why}`));
    }
    this.pending.clear();
    this.rpc.rejectAllPendingRequests(why);
    if (!died) this.sock.destroy();
  }
}
