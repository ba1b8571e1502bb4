// Runs a built verb executable exactly as xapi-storage-script does: `<Verb> --json`, the params
// object on stdin with no trailing newline, then EOF; exit code and stdout are the answer.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { basename, join } from "node:path";
import { inject } from "vitest";

export const ROOT = join(import.meta.dirname, "../..");
// The install tree this test run built for itself (tree-setup.ts).
export const TREE = inject("tree");
if (!TREE) throw new Error("no install tree: run the test through a vitest project whose globalSetup has test/helpers/tree-setup.ts");
export const VOLUME_DIR = join(TREE, "volume/org.xen.xapi.storage.ceph-rbd");
export const DATAPATH_DIR = (scheme: string) => join(TREE, "datapath", scheme);
export const ADMIN = join(TREE, "bin/ceph-rbd-admin");
export const LIB_DIR = join(TREE, "lib");
// A root of the release matrix (scripts/ceph-roots.sh, scripts/matrix.mjs): every executable
// runs inside it, so the plugin's Python helper and the Ceph CLIs are that root's release. Read
// at each call: a test file may pick its root in its setup.
export const IN_ROOT = join(ROOT, "scripts/ceph-roots/run.sh");
// A root's verbs have a run directory of their own: the host's session service runs the host's
// Ceph bindings, and a verb of the root would otherwise replace it (and the host's verbs the
// root's) at every turn.
const rootRunDir = (): Record<string, string> => {
  const root = process.env.CEPH_TEST_CLIENT_ROOT;
  return root ? { CEPH_RBD_RUN_DIR: `/run/ceph-rbd-${basename(root)}` } : {};
};
// Every verb of this test file runs in a run directory of the file's own, inside the run's tree
// (removed with it), not the host's /run/ceph-rbd: a session service, code caches and pid files
// shared with whatever else runs on the machine (a benchmark, another checkout's tests, another
// version) would cross between them. A test file that sets CEPH_RBD_RUN_DIR keeps its own.
let fileRunDir: string | undefined;
const privateRunDir = (): string => (fileRunDir ??= mkdtempSync(join(TREE, "run-")));
const command = (path: string, args: string[]): [string, string[]] => {
  const root = process.env.CEPH_TEST_CLIENT_ROOT;
  return root ? ["bash", [IN_ROOT, root, path, ...args]] : [path, args];
};

// The admin command, human or --json; its exit code and output.
export const runAdmin = (args: string[], env?: Record<string, string>): Promise<VerbRun> => runExecutable(ADMIN, "", args, env);

export interface VerbRun {
  code: number | null;
  stdout: string;
  stderr: string;
  // The parsed stdout, or undefined when it is not one JSON value.
  json: unknown;
}

export const runExecutable = (path: string, stdin: string, args: string[] = ["--json"], env: Record<string, string> = {}): Promise<VerbRun> =>
  startExecutable(path, stdin, args, env).done;

// The same, started: its pid (for a test that stops and resumes it) and its end.
export function startExecutable(
  path: string,
  stdin: string,
  args: string[] = ["--json"],
  env: Record<string, string> = {},
): { pid: number; done: Promise<VerbRun> } {
  const child = spawn(...command(path, args), {
    // The GC worker is started by its own tests only: elsewhere it would race the assertions.
    env: {
      CEPH_RBD_RUN_DIR: privateRunDir(),
      ...process.env,
      CEPH_RBD_LOG_SYSLOG: "off",
      CEPH_RBD_LOG_STDERR: "debug",
      CEPH_RBD_GC: "off",
      ...rootRunDir(),
      ...env,
    },
    cwd: "/",
  });
  const done = outcome(child);
  child.stdin.on("error", () => undefined);
  child.stdin.end(stdin);
  return { pid: child.pid ?? 0, done };
}

// A started child's exit code and output, stdout parsed when it is one JSON value.
export function outcome(child: ChildProcessWithoutNullStreams): Promise<VerbRun> {
  return new Promise<VerbRun>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

export const runVerb = (verb: string, params: unknown, env?: Record<string, string>): Promise<VerbRun> =>
  runExecutable(join(VOLUME_DIR, verb), typeof params === "string" ? params : JSON.stringify(params), ["--json"], env);

// A successful call's result; a failing call throws with what the verb printed.
export async function call<T = unknown>(verb: string, params: Record<string, unknown>, env?: Record<string, string>): Promise<T> {
  const r = await runVerb(verb, { dbg: `test-${verb}`, ...params }, env);
  if (r.code !== 0) throw new Error(`${verb} exited ${r.code}: ${r.stdout}\n${r.stderr.slice(-2000)}`);
  return r.json as T;
}

export interface WireError {
  code: string;
  params: string[];
  backtrace: { error: string; files: string[]; lines: number[] };
}

// A failing call's error object, checked to be exactly what xapi parses.
export async function fail(verb: string, params: unknown, env?: Record<string, string>): Promise<WireError> {
  const r = await runVerb(verb, params, env);
  if (r.code === 0) throw new Error(`${verb} succeeded but should have failed: ${r.stdout}`);
  const e = r.json as WireError;
  if (
    typeof e?.code !== "string" ||
    !Array.isArray(e.params) ||
    typeof e.backtrace?.error !== "string" ||
    !Array.isArray(e.backtrace.files) ||
    !Array.isArray(e.backtrace.lines)
  ) {
    throw new Error(`${verb} printed no well-formed error object: ${r.stdout}`);
  }
  return e;
}
