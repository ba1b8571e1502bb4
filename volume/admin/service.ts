// ceph-rbd-admin service status|stop, and the doctor's line about the per-host session service
// (plugins/ceph/service-*.ts, ceph-session-service.py): whether it runs, which version, what it
// holds (clients by conf path, user and keyring path: no secret), its memory and threads.
import { connectSocket, ServiceConnection } from "../../plugins/ceph/service-client.js";
import { serviceOn, servicePidFile, serviceVersion, socketPath, socketProblem } from "../../plugins/ceph/service-paths.js";
import { recordedProcess } from "../../plugins/pid-file.js";
import { signal } from "../../plugins/process.js";
import { SETTINGS } from "../../plugins/settings.js";
import { check, type Check } from "./doctor/report.js";

export interface ServiceStatus {
  readonly enabled: boolean;
  readonly socket: string;
  // The pid its pid file names while that very process runs.
  readonly pid?: number;
  // Why the socket is not used (missing, or not root's alone).
  readonly problem?: string;
  // What the service says of itself (ceph_rbd_service_conn.py's status).
  readonly service?: {
    pid: number;
    version: string;
    uptime: number;
    connections: number;
    idle_exit: number;
    rss_kib: number;
    threads: number;
    clients: unknown[];
  };
  readonly current?: boolean;
  readonly error?: string;
}

async function ask(method: "status" | "leave"): Promise<unknown> {
  const conn = new ServiceConnection(await connectSocket(socketPath(), 1000));
  try {
    return await conn.request(method, {}, `session service ${method}`, 5000);
  } finally {
    conn.end();
  }
}

export async function serviceStatus(): Promise<ServiceStatus> {
  const base = {
    enabled: serviceOn(),
    socket: socketPath(),
    ...(recordedProcess(servicePidFile()) !== undefined ? { pid: recordedProcess(servicePidFile()) } : {}),
  };
  const problem = socketProblem();
  if (problem !== undefined) return { ...base, problem };
  try {
    const service = (await ask("status")) as ServiceStatus["service"] & object;
    return { ...base, service, current: service.version === serviceVersion() };
  } catch (e) {
    return { ...base, error: (e as Error).message };
  }
}

export function formatStatus(s: ServiceStatus): string {
  const off = `off (${SETTINGS.service.env}=off: verbs use sessions of their own)`;
  const head = `session service: ${s.enabled ? "on" : off}, socket ${s.socket}`;
  if (s.service === undefined)
    return [head, s.problem === "missing" ? "not running" : `not usable: ${s.problem ?? s.error}${s.pid ? ` (pid ${s.pid})` : ""}`].join("\n");
  const v = s.service;
  return [
    head,
    `pid ${v.pid}, version ${v.version}${s.current ? "" : " (another version: the next verb replaces it)"}, up ${v.uptime} s`,
    `${v.connections} connection(s), ${v.threads} threads, RSS ${(v.rss_kib / 1024).toFixed(1)} MiB, leaves after ${v.idle_exit} s idle`,
    ...v.clients.map((c) => `client ${JSON.stringify(c)}`),
  ].join("\n");
}

// Asks the service to leave (verbs under way finish first), or signals the recorded process
// when its socket does not answer.
export async function stopService(): Promise<{ stopped?: number; running: boolean }> {
  try {
    const r = (await ask("leave")) as { pid: number };
    return { stopped: r.pid, running: true };
  } catch {
    const pid = recordedProcess(servicePidFile());
    if (pid === undefined) return { running: false };
    signal(pid, "SIGTERM");
    return { stopped: pid, running: true };
  }
}

export function serviceCheck(s: ServiceStatus): Check {
  if (!s.enabled) return check("session service", "OK", `off (${SETTINGS.service.env}=off): every verb connects to Ceph itself`);
  if (s.service !== undefined) {
    const v = s.service;
    const detail = `pid ${v.pid}, ${v.clients.length} client(s), ${v.connections} connection(s), RSS ${(v.rss_kib / 1024).toFixed(1)} MiB, ${v.threads} threads`;
    return s.current
      ? check("session service", "OK", detail)
      : check("session service", "WARN", `${detail}; runs version ${v.version} (the next verb replaces it)`);
  }
  if (s.problem === "missing") return check("session service", "OK", "not running (the first verb that needs Ceph starts it)");
  return check("session service", "WARN", `not usable, verbs fall back to sessions of their own: ${s.problem ?? s.error}`);
}
