// One test host: a network namespace of the pool (net.ts) and a directory of its own holding its
// /etc overlay (xensource-inventory with its INSTALLATION_UUID) and its /run. Every command run
// on the host goes through `ip netns exec` (a fresh mount namespace, slave to the machine's),
// where a read-only overlay puts the host's /etc files over the machine's /etc and its run
// directory is bind-mounted over /run; nothing it mounts reaches the machine. Its processes are
// the namespace's: a "reboot" kills them all and empties its /run.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { outcome, type VerbRun } from "../run-verb.js";
import { ip, killAllIn, nsName, type Net } from "./net.js";

export interface TestHost {
  index: number;
  name: string;
  uuid: string;
  addr: string;
  ns: string;
  etc: string;
  run: string;
}

// What no command on a test host may inherit: the identity and run directory come from the
// host's own /etc and /run, as on a real dom0.
const NOT_INHERITED = ["CEPH_RBD_HOST_UUID", "CEPH_RBD_RUN_DIR", "CEPH_ARGS"];

// The fixed script that builds the host's view (in a UTS namespace of its own too, for its host
// name); the host name, paths and the command are its arguments.
const ENTER = 'hostname "$1" && mount -t overlay none -o "lowerdir=$2:/etc" /etc && mount --bind "$3" /run && shift 3 && exec "$@"';

export function makeHost(net: Net, index: number, addr: string, uuid: string, under: string): TestHost {
  const dir = mkdtempSync(join(under, `host${index}-`));
  const host = { index, name: `host${index}`, uuid, addr, ns: nsName(net, index), etc: join(dir, "etc"), run: join(dir, "run") };
  mkdirSync(host.etc);
  writeFileSync(join(host.etc, "xensource-inventory"), `PRIMARY_DISK='/dev/sda'\nINSTALLATION_UUID='${uuid}'\n`);
  emptyRun(host);
  return host;
}

// A /run as a fresh boot leaves it.
function emptyRun(host: TestHost): void {
  rmSync(host.run, { recursive: true, force: true });
  mkdirSync(join(host.run, "lock"), { recursive: true, mode: 0o755 });
}

// Runs a command on the host: its exit code and output, bounded in time (SIGKILL after timeoutMs).
export const onHost = (host: TestHost, argv: string[], stdin = "", env: Record<string, string> = {}, timeoutMs = 120_000): Promise<VerbRun> =>
  startOnHost(host, argv, stdin, env, timeoutMs).done;

// The same, started: its end, and its stderr so far (a test that stops it midway reads where it is).
export function startOnHost(
  host: TestHost,
  argv: string[],
  stdin = "",
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): { done: Promise<VerbRun>; stderr: () => string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !NOT_INHERITED.includes(k)));
  const child = spawn("ip", ["netns", "exec", host.ns, "unshare", "--uts", "sh", "-c", ENTER, "enter", host.name, host.etc, host.run, ...argv], {
    env: { ...base, CEPH_RBD_LOG_SYSLOG: "off", CEPH_RBD_LOG_STDERR: "debug", CEPH_RBD_GC: "off", ...env },
    cwd: "/",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  child.stdin.on("error", () => undefined);
  child.stdin.end(stdin);
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const done = outcome(child);
  void done.finally(() => clearTimeout(timer));
  return { done, stderr: () => stderr };
}

const pidsOn = (host: TestHost, check: (pid: number) => boolean): number[] =>
  ip(["netns", "pids", host.ns])
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return check(pid);
      } catch {
        return false;
      }
    });

// The host's processes stopped (SIGSTOP, as CEPH_RBD_PAUSE_AT leaves one).
export const stoppedOn = (host: TestHost): number[] => pidsOn(host, (pid) => /^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, "utf8")));

// The host's processes whose command line (NUL-separated) contains `part`.
export const processesOn = (host: TestHost, part: string): number[] => pidsOn(host, (pid) => readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(part));

// A power cut and boot: every process of the host killed, its /run emptied.
export function reboot(host: TestHost): number {
  const killed = killAllIn(host.ns);
  emptyRun(host);
  return killed;
}
