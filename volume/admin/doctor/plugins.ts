// The plugin tree as xapi-storage-script sees it: every verb of each plugin's table an
// executable, nothing else, and each Plugin.Query answering.
import { dirname, resolve } from "node:path";
import { check, type Check } from "./report.js";

export const VOLUME_PLUGIN = "org.xen.xapi.storage.ceph-rbd";
export const RPM_LIB = "/usr/libexec/xcp-ceph-rbd/lib";
export const XSS_ROOT = "/usr/libexec/xapi-storage-script";

// Where xapi-storage-script finds the plugins: its own root when this admin command runs from
// the RPM's libexec, else this checkout's plugins/ (same layout: volume/, datapath/, lib/).
export const defaultRoot = (libDir: string): string => (resolve(libDir) === RPM_LIB ? XSS_ROOT : dirname(resolve(libDir)));

export interface PluginSpec {
  readonly dir: string; // relative to the root: volume/<name> or datapath/<scheme>
  readonly plugin: string; // what its Plugin.Query must answer in `plugin`
  readonly verbs: readonly string[];
}

export interface FileFacts {
  readonly kind: "file" | "dir" | "other" | "missing";
  readonly executable: boolean;
}

export interface QueryRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly ms: number;
  readonly error?: string | undefined;
}

// One plugin directory against its verb table: every verb a regular executable file, nothing
// else (xapi-storage-script advertises a capability for each file present), and its
// Plugin.Query, run as xapi-storage-script runs it, answering with the plugin's name (which
// proves the launcher, the runtime it names and the bundle together).
export function evaluatePlugin(spec: PluginSpec, dir: FileFacts, files: ReadonlyMap<string, FileFacts>, query: QueryRun | undefined): Check {
  const name = spec.dir.replace(/^volume\/org\.xen\.xapi\.storage\./, "volume ").replace(/^datapath\//, "datapath ");
  if (dir.kind !== "dir") return check(name, "FAIL", `${spec.dir}: missing`);
  const missing = spec.verbs.filter((v) => files.get(v)?.kind !== "file");
  const notExec = spec.verbs.filter((v) => files.get(v)?.kind === "file" && !files.get(v)?.executable);
  const extra = [...files.keys()].filter((f) => !spec.verbs.includes(f)).sort();
  const problems = [missing.length > 0 ? `missing: ${missing.join(", ")}` : "", notExec.length > 0 ? `not executable: ${notExec.join(", ")}` : ""].filter(
    Boolean,
  );
  let answer = "Plugin.Query not run";
  if (query) {
    let plugin: unknown;
    try {
      plugin = (JSON.parse(query.stdout) as { plugin?: unknown }).plugin;
    } catch {
      plugin = undefined;
    }
    if (query.error !== undefined) problems.push(`Plugin.Query failed to start: ${query.error}`);
    else if (query.code !== 0 || plugin !== spec.plugin)
      problems.push(`Plugin.Query exited ${query.code}, answered ${query.stdout.trim().slice(0, 200) || "nothing"}`);
    else answer = `Plugin.Query answers in ${query.ms} ms`;
  }
  if (problems.length > 0) return check(name, "FAIL", `${spec.dir}: ${problems.join("; ")}`);
  if (extra.length > 0) return check(name, "WARN", `${spec.verbs.length} verbs, ${answer}; unexpected files: ${extra.join(", ")}`);
  return check(name, "OK", `${spec.verbs.length} verbs, all executable; ${answer}`);
}
