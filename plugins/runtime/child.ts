// The plugins' own child processes, as opposed to the Ceph tools (plugins/ceph/exec.ts): the GC
// worker, the doctor's probes. Started like every other process of the project, with execa: a
// program and an argument array, never a shell. The spawns on a verb's start-up path stay raw, for
// start-up time (each says its figure): the session's Python (plugins/ceph/session-process.ts),
// the session service (plugins/ceph/service-start.ts) and the syslog hand-off (plugins/log.ts).

// execa, loaded when a process is started (see exec.ts): most verbs start none.
const execaModule = () => import("execa");

// Started and left to run on its own: never waited for, and not ended when this process exits.
// `env` adds to this process's environment.
export async function startDetached(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<number | undefined> {
  const { execa } = await execaModule();
  const child = execa(file, [...args], { detached: true, cleanup: false, reject: false, stdio: "ignore", env });
  child.unref();
  return child.pid;
}

export interface Captured {
  readonly code: number | undefined;
  readonly stdout: string;
  // Why it could not run or was stopped, when it could not.
  readonly error?: string;
}

// Runs to its end (or its timeout) with `input` on its standard input; its standard output.
export async function capture(file: string, args: readonly string[], opts: { input: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Captured> {
  const { execa } = await execaModule();
  const r = await execa(file, [...args], {
    input: opts.input,
    env: opts.env,
    extendEnv: false,
    timeout: opts.timeoutMs,
    stderr: "ignore",
    reject: false,
    encoding: "utf8",
    stripFinalNewline: false,
  });
  const failed = r.failed && r.exitCode === undefined;
  return { code: r.exitCode, stdout: r.stdout ?? "", ...(failed ? { error: r.shortMessage } : {}) };
}
