// qemu-storage-daemon serving one RBD image (or snapshot) as an NBD export on a unix socket:
// the userspace datapath. It daemonises once the export is ready and is found again through
// its pid file; stopping it removes the socket and configuration it leaves behind.
//
// No device-config value ever becomes an option of the daemon: QEMU's rbd driver has no
// options for a keyring or monitors, and CEPH_ARGS would split them on spaces into options of
// librados (a keyring "x --plugin_dir=/tmp/evil" would load a library into a root process).
// They go instead into a private configuration file, a copy of the SR's ceph.conf followed by a
// [client.<user>] section of their own (in a Ceph configuration file the last value of an
// option in a section wins), and QEMU's `conf=` names that file.
import { chmodSync, closeSync, constants, fstatSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { Logger } from "../log.js";
import { startTimeOf } from "../pid-file.js";
import { signal, waitGone } from "../process.js";
import { Invalid_parameters } from "../wire/errors.js";
import type { Place } from "./cluster.js";
import { runCeph } from "./exec.js";

export interface Export {
  readonly socket: string;
  readonly pidFile: string;
  // The private Ceph configuration of this export (in the same 0700 directory).
  readonly conf: string;
  readonly name: string;
}

// The daemon's QMP monitor: beside its pid file, in the same private directory, and made 0600
// once it exists, since whoever reaches it controls the daemon.
export const qmpSocket = (e: Export): string => e.pidFile.replace(/\.pid$/, "") + ".qmp";

// The export, as the command line creates it and as a grow re-creates it over QMP.
export const exportArgs = (e: Export, writable: boolean) => ({ type: "nbd", id: "export", "node-name": "disk", name: e.name, writable });

// What a value may hold to be written into a Ceph configuration file as one value: nothing that
// ends a line (a new option), starts a comment (a value silently cut), quotes or escapes.
const CONF_UNSAFE = /[\x00-\x1f\x7f#;"'\\]/;
const ENTITY_ID = /^[A-Za-z0-9_.-]+$/;

export function privateConf(p: Place): string {
  const own: string[] = [];
  if (p.cluster.keyring !== undefined) own.push(`keyring = ${p.cluster.keyring}`);
  if (p.cluster.monHost !== undefined) own.push(`mon host = ${p.cluster.monHost}`);
  for (const [what, v] of [
    ["keyring", p.cluster.keyring],
    ["monhost", p.cluster.monHost],
  ] as const) {
    if (v !== undefined && CONF_UNSAFE.test(v))
      throw new Invalid_parameters(`${what}: cannot go into a Ceph configuration file (it holds a control character, quote, backslash, '#' or ';')`);
  }
  let base: string;
  try {
    base = readFileSync(p.cluster.conf, "utf8");
  } catch (e) {
    throw new Invalid_parameters(`conf: cannot read ${p.cluster.conf}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (own.length === 0) return base;
  if (!ENTITY_ID.test(p.cluster.user))
    throw new Invalid_parameters(`user: ${JSON.stringify(p.cluster.user)} is not a Ceph client id this datapath can configure`);
  return `${base}${base.endsWith("\n") ? "" : "\n"}\n# this export's device-config\n[client.${p.cluster.user}]\n${own.join("\n")}\n`;
}

// QEMU's option syntax uses ',' as a separator: a literal comma is doubled.
const opt = (v: string) => v.replaceAll(",", ",,");

const nbdServer = (e: Export): string => `addr.type=unix,addr.path=${opt(e.socket)}`;

export async function startExport(p: Place, log: Logger, image: string, snap: string | undefined, e: Export): Promise<void> {
  rmSync(e.conf, { force: true });
  writeFileSync(e.conf, privateConf(p), { mode: 0o600, flag: "wx" });
  const blockdev = [
    "driver=rbd",
    "node-name=disk",
    `pool=${opt(p.pool)}`,
    ...(p.namespace ? [`namespace=${opt(p.namespace)}`] : []),
    `image=${opt(image)}`,
    ...(snap ? [`snapshot=${opt(snap)}`] : []),
    `conf=${opt(e.conf)}`,
    `user=${opt(p.cluster.user)}`,
    "cache.direct=on",
    // A guest's TRIM/UNMAP (NBD_CMD_TRIM) and its writes of zeroes (NBD_CMD_WRITE_ZEROES, and
    // zero-filled writes) become discards of the RBD image, which frees its objects: without
    // discard=unmap QEMU drops the discards, and the thin image keeps every byte ever written.
    "discard=unmap",
    "detect-zeroes=unmap",
    ...(snap ? ["read-only=on"] : []),
  ].join(",");
  try {
    await runCeph({
      tool: "qemu-storage-daemon",
      args: [
        "--blockdev",
        blockdev,
        "--nbd-server",
        nbdServer(e),
        "--export",
        `type=nbd,id=export,node-name=disk,name=${opt(e.name)},writable=${snap ? "off" : "on"}`,
        "--chardev",
        `socket,id=qmp,path=${opt(qmpSocket(e))},server=on,wait=off`,
        "--monitor",
        "chardev=qmp,mode=control",
        "--pidfile",
        e.pidFile,
        "--daemonize",
      ],
      connection: [],
      log,
    });
  } catch (err) {
    rmSync(e.conf, { force: true });
    throw err;
  }
  chmodSync(qmpSocket(e), 0o600);
}

// The pid file's contents and age, read without following a link.
function readPidFile(path: string): { pid: number; mtimeMs: number } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const buf = Buffer.alloc(32);
    const text = buf
      .subarray(0, readSync(fd, buf, 0, buf.length, 0))
      .toString("utf8")
      .trim();
    const pid = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    return Number.isSafeInteger(pid) && pid > 0 ? { pid, mtimeMs: fstatSync(fd).mtimeMs } : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// When the process started, in ms since the epoch: its start time in clock ticks since boot
// (USER_HZ is 100 on Linux) after the boot time of /proc/stat (whole seconds).
function startedMs(pid: number): number | undefined {
  const ticks = Number(startTimeOf(readFileSync(`/proc/${pid}/stat`, "utf8")));
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
  return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : undefined;
}

// The boot time is known to the second only: a process may seem to start up to 1 s late.
const BOOT_TIME_SLACK_MS = 1000;

// The export's server, if it runs: the pid file's process must be root's (ours) qemu-storage-
// daemon serving exactly this socket, and must have started before the pid file was written
// (a pid reused after a crash belongs to a process started later). Anything else is not ours to
// signal.
export function exportPid(e: Export): number | undefined {
  const file = readPidFile(e.pidFile);
  if (file === undefined) return undefined;
  try {
    if (statSync(`/proc/${file.pid}`).uid !== process.geteuid?.()) return undefined;
    const argv = readFileSync(`/proc/${file.pid}/cmdline`, "utf8").split("\0");
    if (basename(argv[0] ?? "") !== "qemu-storage-daemon") return undefined;
    const at = argv.indexOf("--nbd-server");
    if (at < 0 || argv[at + 1] !== nbdServer(e) || argv.indexOf("--nbd-server", at + 1) >= 0) return undefined;
    const started = startedMs(file.pid);
    if (started === undefined || started > file.mtimeMs + BOOT_TIME_SLACK_MS) return undefined;
    return file.pid;
  } catch {
    return undefined;
  }
}

// Asks the server to finish (it flushes), then insists; bounded either way.
export async function stopExport(e: Export, log: Logger, graceMs = 10_000): Promise<void> {
  const pid = exportPid(e);
  if (pid !== undefined) {
    signal(pid, "SIGTERM");
    if (!(await waitGone(() => exportPid(e) === pid, graceMs))) {
      log.warning(`qemu-storage-daemon ${pid} did not stop within ${graceMs} ms: killing it`);
      signal(pid, "SIGKILL");
    }
  }
  rmSync(e.socket, { force: true });
  rmSync(e.pidFile, { force: true });
  rmSync(e.conf, { force: true });
  rmSync(qmpSocket(e), { force: true });
}
