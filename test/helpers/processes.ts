// What runs on this machine, from /proc: every process's argument list, and this test
// process's descendants (the verbs and the Ceph or QEMU programs they start).
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
}

const pids = () =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);

// The fields of /proc/<pid>/stat after the command name (which, in parentheses, may hold
// spaces): state, ppid, ...
const statFields = (pid: number): string[] => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
};

const parentOf = (pid: number): number => Number(statFields(pid)[1]);

const argvOf = (pid: number): string[] => {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  if (argv[argv.length - 1] === "") argv.pop();
  return argv;
};

// Alive and not a zombie (an exited child stays one until init reaps it, which some inits do
// lazily).
export function isRunning(pid: number): boolean {
  try {
    return statFields(pid)[0] !== "Z";
  } catch {
    return false;
  }
}

// Every process visible now, with its argument list.
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const pid of pids()) {
    try {
      out.push({ pid, ppid: parentOf(pid), argv: argvOf(pid) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

// Descendants of pid, reading only each process's stat (and the argument lists of the
// descendants): cheap enough to sample every few milliseconds. (/proc/<pid>/task/*/children
// would be cheaper still, but kernels without CONFIG_PROC_CHILDREN lack it.)
export function descendantsOf(pid: number): Proc[] {
  const parent = new Map<number, number>();
  for (const p of pids()) {
    try {
      parent.set(p, parentOf(p));
    } catch {
      // gone meanwhile
    }
  }
  const mine = new Set([pid]);
  // /proc lists parents before children only until pids wrap: repeat until no process joins.
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, pp] of parent) {
      if (!mine.has(p) && mine.has(pp)) {
        mine.add(p);
        grew = true;
      }
    }
  }
  mine.delete(pid);
  const out: Proc[] = [];
  for (const p of mine) {
    try {
      out.push({ pid: p, ppid: parent.get(p) ?? 0, argv: argvOf(p) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

// Resolves once some descendant of this process has an argument list matching re.
export async function waitForChild(re: RegExp, timeoutMs: number): Promise<Proc | undefined> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(20)) {
    const hit = descendantsOf(process.pid).find((p) => re.test(p.argv.join(" ")));
    if (hit) return hit;
  }
  return undefined;
}
