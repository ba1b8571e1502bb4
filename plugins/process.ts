// Signalling and waiting on other processes. A process may end between the look and the signal:
// one already gone counts as signalled. A bare pid outlives its process (the kernel gives it to
// another after a crash), so waiting takes the caller's own test of "still that process"
// (pid-file.ts's recordedProcess, qsd.ts's exportPid), not the pid's mere existence.
const POLL_MS = 50;

// Whether any process has this pid (ours to signal or not).
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

// A negative pid signals the process group.
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

// Whether `running` turned false within `ms`.
export async function waitGone(running: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (running()) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return true;
}
