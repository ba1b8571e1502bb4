// ceph-rbd-admin doctor: is this host ready to serve ceph-rbd SRs? Each check is OK, WARN or
// FAIL with one line of detail; any FAIL makes the command exit non-zero. Checks: the Ceph CLIs
// (ceph-common), the configuration, the keyring (readable, not world-readable), the cluster
// (reachable within the gateway's timeouts, its health, the pool if named), kernel RBD (the rbd
// datapath), qemu-storage-daemon (the rbd+nbd datapath), syslog, and the plugin tree (every
// verb's launcher present and executable, each plugin answering Plugin.Query).
//
// The pure parts (parsing, evaluating what was found, formatting) are exported for unit tests;
// runDoctor gathers the facts. Only plugins/ceph runs Ceph CLIs. Nothing secret is ever read
// into the report: of a keyring, only its mode and its section names are looked at.
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { hostname, release } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterRef } from "../../plugins/ceph/cluster.js";
import { FEATURE_BITS, featuresToDisable, kernelFeatures } from "../../plugins/ceph/krbd.js";
import { clusterHealth } from "../../plugins/ceph/mon.js";
import { namespaceList } from "../../plugins/ceph/rbd.js";
import { toolVersion } from "../../plugins/ceph/versions.js";
import type { Logger } from "../../plugins/log.js";
import { VERSION } from "../../plugins/version.js";
import { DEFAULT_FEATURES } from "../services/config.js";
import { parseSrRef } from "../services/sr-ref.js";

export type Status = "OK" | "WARN" | "FAIL";
export interface Check {
  readonly name: string;
  readonly status: Status;
  readonly detail: string;
}
export interface Report {
  readonly ok: boolean;
  readonly host: string;
  readonly version: string;
  readonly checks: readonly Check[];
}

const check = (name: string, status: Status, detail: string): Check => ({ name, status, detail });

export const VOLUME_PLUGIN = "org.xen.xapi.storage.ceph-rbd";
export const RPM_LIB = "/usr/libexec/xcp-ceph-rbd/lib";
export const XSS_ROOT = "/usr/libexec/xapi-storage-script";

// ---------------------------------------------------------------------------------------------
// Ceph configuration and keyrings

// Sections of a ceph.conf, keys normalised as Ceph does ("mon host" = "mon_host" = "mon-host").
export function parseCephConf(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = sections.get("global") ?? new Map<string, string>();
  sections.set("global", current);
  for (const raw of text.split("\n")) {
    const line = raw.replace(/^\s+|\s+$/g, "");
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = (header[1] ?? "").trim();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase().replace(/[\s-]+/g, "_");
    const value = line
      .slice(eq + 1)
      .replace(/\s[#;].*$/, "")
      .trim();
    current.set(key, value);
  }
  return sections;
}

// Where Ceph looks for the keyring of client.<user>, in order: the `keyring` option of the most
// specific section that has one ([client.<user>], [client], [global]), else Ceph's default list;
// a comma-separated list, with $cluster, $name, $type and $id expanded.
export const DEFAULT_KEYRING = "/etc/ceph/$cluster.$name.keyring,/etc/ceph/$cluster.keyring,/etc/ceph/keyring,/etc/ceph/keyring.bin";
export function keyringCandidates(conf: Map<string, Map<string, string>>, user: string, cluster = "ceph"): string[] {
  const name = `client.${user}`;
  const value = [name, "client", "global"].map((s) => conf.get(s)?.get("keyring")).find((v) => v !== undefined) ?? DEFAULT_KEYRING;
  const vars: Record<string, string> = { cluster, name, type: "client", id: user };
  return value
    .split(/[,;]/)
    .map((p) => p.trim().replace(/\$\{?(cluster|name|type|id)\}?/g, (_m, v: string) => vars[v] ?? ""))
    .filter((p) => p.length > 0);
}

export interface KeyringFacts {
  readonly path: string;
  readonly exists: boolean;
  readonly mode?: number | undefined;
  readonly readable?: boolean | undefined;
  // Section names found in the file ([client.xcp] ...), never its content.
  readonly entities?: readonly string[] | undefined;
}

export const keyringEntities = (text: string): string[] => [...text.matchAll(/^\s*\[([^\]]+)\]\s*$/gm)].map((m) => (m[1] ?? "").trim());

export function evaluateKeyring(k: KeyringFacts | undefined, user: string, lookedAt: readonly string[]): Check {
  if (!k) return check("keyring", "FAIL", `no keyring for client.${user} found (looked at ${lookedAt.join(", ")}); give --keyring`);
  if (!k.exists) return check("keyring", "FAIL", `${k.path}: no such file`);
  const mode = (k.mode ?? 0) & 0o7777;
  const octal = `0${mode.toString(8)}`;
  if (mode & 0o002) return check("keyring", "FAIL", `${k.path} is world-writable (mode ${octal}): chmod 600 ${k.path}`);
  if (mode & 0o004) return check("keyring", "FAIL", `${k.path} is world-readable (mode ${octal}): anyone on this host can use the cluster as client.${user}; chmod 600 ${k.path}`);
  if (!k.readable) return check("keyring", "FAIL", `${k.path} is not readable by this user (mode ${octal})`);
  if (k.entities && !k.path.endsWith(".bin") && !k.entities.includes(`client.${user}`)) {
    return check("keyring", "WARN", `${k.path} (mode ${octal}) has no [client.${user}] entry (it has: ${k.entities.join(", ") || "none"})`);
  }
  return check("keyring", "OK", `${k.path} (mode ${octal}), readable, not world-readable`);
}

// ---------------------------------------------------------------------------------------------
// Tools, cluster, kernel, qemu-storage-daemon

const unavailable = (version: string) => version.startsWith("unavailable");

// "ceph version 16.2.15 (618f...) pacific (stable)" -> "16.2.15 pacific (stable)"
const shortVersion = (v: string): string => v.replace(/^ceph version /, "").replace(/\s*\([0-9a-f]{40}\)/, "");

export function evaluateTools(versions: Readonly<Record<string, string>>): Check {
  const missing = Object.entries(versions).filter(([, v]) => unavailable(v));
  // Tools of one version are listed together: "rbd, rados, ceph: 16.2.15 pacific (stable)".
  const byVersion = new Map<string, string[]>();
  for (const [t, v] of Object.entries(versions)) {
    const key = unavailable(v) ? "missing" : shortVersion(v);
    byVersion.set(key, [...(byVersion.get(key) ?? []), t]);
  }
  const line = [...byVersion].map(([v, tools]) => `${tools.join(", ")}: ${v}`).join("; ");
  if (missing.length > 0) return check("ceph tools", "FAIL", `${line} (install ceph-common; ${missing.map(([t]) => t).join(", ")} not on PATH or not working)`);
  return check("ceph tools", "OK", line);
}

export interface HealthFacts {
  readonly status?: string;
  readonly checks?: Readonly<Record<string, { severity: string; summary: { message: string } }>>;
  readonly error?: string;
  readonly ms: number;
}

export function evaluateCluster(h: HealthFacts): Check {
  if (h.error !== undefined) return check("cluster", "FAIL", `not reachable (${h.ms} ms): ${h.error}`);
  const reasons = Object.entries(h.checks ?? {}).map(([k, c]) => `${k}: ${c.summary.message}`);
  const detail = `reachable in ${h.ms} ms, ${h.status}${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}`;
  if (h.status === "HEALTH_OK") return check("cluster", "OK", detail);
  if (h.status === "HEALTH_WARN") return check("cluster", "WARN", detail);
  return check("cluster", "FAIL", detail);
}

export const featureNames = (bits: number): string[] => Object.entries(FEATURE_BITS).filter(([, b]) => (bits & b) !== 0).map(([n]) => n);

export function evaluateKernel(supported: number | undefined, moduleInstalled: boolean): Check {
  if (supported === undefined) {
    return check(
      "kernel rbd",
      "WARN",
      moduleInstalled
        ? "the rbd module is installed but not loaded (/sys/bus/rbd missing): `modprobe rbd` for the rbd datapath, or use rbd+nbd (device-config:datapath=rbd+nbd)"
        : "no kernel RBD on this host (/sys/bus/rbd missing): use rbd+nbd (device-config:datapath=rbd+nbd)",
    );
  }
  const { disable, impossible } = featuresToDisable(DEFAULT_FEATURES, supported);
  const names = `supports ${featureNames(supported).join(",")}`;
  if (impossible.length > 0) return check("kernel rbd", "WARN", `${names}; cannot map images with ${impossible.join(", ")}: use rbd+nbd`);
  if (disable.length > 0) {
    return check("kernel rbd", "OK", `${names}; the rbd datapath disables ${disable.join(",")} on images it maps (or create SRs with image_features=layering,exclusive-lock)`);
  }
  return check("kernel rbd", "OK", names);
}

// qemu-storage-daemon serves the rbd+nbd datapath; without it and without kernel RBD, this host
// cannot attach any disk.
export function evaluateQsd(version: string, kernel: Check): Check {
  if (!unavailable(version)) return check("qemu-storage-daemon", "OK", version.split("\n")[0] ?? version);
  if (kernel.status === "OK") return check("qemu-storage-daemon", "WARN", "not found: the rbd+nbd datapath cannot work on this host (the rbd datapath can)");
  return check("qemu-storage-daemon", "FAIL", "not found, and no usable kernel RBD: no datapath can attach a disk on this host");
}

// ---------------------------------------------------------------------------------------------
// The plugin tree

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
  const problems = [
    missing.length > 0 ? `missing: ${missing.join(", ")}` : "",
    notExec.length > 0 ? `not executable: ${notExec.join(", ")}` : "",
  ].filter(Boolean);
  let answer = "Plugin.Query not run";
  if (query) {
    let plugin: unknown;
    try {
      plugin = (JSON.parse(query.stdout) as { plugin?: unknown }).plugin;
    } catch {
      plugin = undefined;
    }
    if (query.error !== undefined) problems.push(`Plugin.Query failed to start: ${query.error}`);
    else if (query.code !== 0 || plugin !== spec.plugin) problems.push(`Plugin.Query exited ${query.code}, answered ${query.stdout.trim().slice(0, 200) || "nothing"}`);
    else answer = `Plugin.Query answers in ${query.ms} ms`;
  }
  if (problems.length > 0) return check(name, "FAIL", `${spec.dir}: ${problems.join("; ")}`);
  if (extra.length > 0) return check(name, "WARN", `${spec.verbs.length} verbs, ${answer}; unexpected files: ${extra.join(", ")}`);
  return check(name, "OK", `${spec.verbs.length} verbs, all executable; ${answer}`);
}

// ---------------------------------------------------------------------------------------------
// Output

export const report = (checks: readonly Check[]): Report => ({ ok: checks.every((c) => c.status !== "FAIL"), host: hostname(), version: VERSION, checks });

export function formatHuman(r: Report): string {
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const count = (s: Status) => r.checks.filter((c) => c.status === s).length;
  return [
    `ceph-rbd-admin doctor ${r.version} on ${r.host}`,
    ...r.checks.map((c) => `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`),
    `${count("FAIL")} FAIL, ${count("WARN")} WARN, ${count("OK")} OK`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Gathering the facts

export const DOCTOR_OPTIONS = {
  conf: { type: "string", describe: "Ceph configuration file (device-config conf)", default: "/etc/ceph/ceph.conf" },
  user: { type: "string", describe: "cephx client id (device-config user)", default: "admin" },
  keyring: { type: "string", describe: "keyring path (device-config keyring; default: as the configuration says)" },
  monhost: { type: "string", describe: "monitor addresses (device-config monhost)" },
  pool: { type: "string", describe: "also check that this pool is usable (device-config pool)" },
  sr: { type: "string", describe: "take conf, user, keyring, monhost and pool from an SR's sr string" },
  root: { type: "string", describe: `plugin root to check (default ${XSS_ROOT} for the RPM, plugins/ in a checkout)` },
  timeout: { type: "number", describe: "seconds for each Ceph connection and operation (default: the plugins' own, 15 and 30)" },
  json: { type: "boolean", default: false, describe: "machine-readable output" },
} as const;

export interface DoctorArgs {
  conf?: string | undefined;
  user?: string | undefined;
  keyring?: string | undefined;
  monhost?: string | undefined;
  pool?: string | undefined;
  sr?: string | undefined;
  root?: string | undefined;
  timeout?: number | undefined;
  json?: boolean | undefined;
}

declare const __dirname: string | undefined;
// The directory of the running bundle (plugins/lib, or the RPM's libexec lib).
const ownLibDir = (): string => (typeof __dirname === "string" ? __dirname : join(dirname(fileURLToPath(import.meta.url)), "../../plugins/lib"));

const fileFacts = (path: string): FileFacts => {
  try {
    const s = statSync(path);
    const kind = s.isFile() ? "file" : s.isDirectory() ? "dir" : "other";
    let executable = false;
    try {
      accessSync(path, constants.X_OK);
      executable = kind === "file";
    } catch {
      executable = false;
    }
    return { kind, executable };
  } catch {
    return { kind: "missing", executable: false };
  }
};

const onPath = (cmd: string): boolean =>
  (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter).some((d) => d !== "" && fileFacts(join(d, cmd)).executable);

function keyringFacts(path: string): KeyringFacts {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return { path, exists: false };
  }
  let readable = true;
  let entities: string[] | undefined;
  try {
    accessSync(path, constants.R_OK);
    if (!path.endsWith(".bin")) entities = keyringEntities(readFileSync(path, "utf8"));
  } catch {
    readable = false;
  }
  return { path, exists: true, mode, readable, entities };
}

const moduleInstalled = (): boolean => {
  try {
    return /(^|\/)rbd\.ko(\.[gx]z|\.zst)?:/m.test(readFileSync(`/lib/modules/${release()}/modules.dep`, "utf8")) || existsSync("/sys/module/rbd");
  } catch {
    return existsSync("/sys/module/rbd");
  }
};

function runQuery(path: string): Promise<QueryRun> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(path, ["--json"], { env: { ...process.env, CEPH_RBD_LOG_STDERR: "off" }, stdio: ["pipe", "pipe", "ignore"], timeout: 30_000 });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", (e) => done({ code: null, stdout, ms: Date.now() - started, error: e.message }));
    child.on("close", (code) => done({ code, stdout, ms: Date.now() - started }));
    child.stdin.on("error", () => undefined);
    child.stdin.end('{"dbg":"doctor"}');
  });
}

// The verb tables of an installed tree, from its own bundles (as scripts/build.mjs reads them).
function pluginSpecs(libDir: string): PluginSpec[] {
  const load = createRequire(join(libDir, "doctor.cjs"));
  const volume = load(join(libDir, "volume.cjs")) as { verbs: Record<string, unknown> };
  const datapath = load(join(libDir, "datapath.cjs")) as { verbs: Record<string, Record<string, unknown>> };
  return [
    { dir: `volume/${VOLUME_PLUGIN}`, plugin: "ceph-rbd", verbs: Object.keys(volume.verbs) },
    ...Object.entries(datapath.verbs).map(([scheme, table]) => ({ dir: `datapath/${scheme}`, plugin: scheme, verbs: Object.keys(table) })),
  ];
}

async function treeChecks(rootArg: string | undefined): Promise<Check[]> {
  const root = resolve(rootArg ?? defaultRoot(ownLibDir()));
  const checks: Check[] = [];
  // The bundles that belong to this tree: lib/ beside the (link-resolved) plugin directories.
  let libDir = ownLibDir();
  try {
    libDir = resolve(realpathSync(join(root, "volume", VOLUME_PLUGIN)), "../../lib");
  } catch {
    // No volume plugin there: the tree check below says so; use this command's own bundles.
  }
  const bundles = ["volume.cjs", "datapath.cjs", "admin.cjs"].filter((b) => fileFacts(join(libDir, b)).kind !== "file");
  if (bundles.length > 0) return [check("plugin tree", "FAIL", `${libDir}: missing ${bundles.join(", ")}`)];
  let specs: PluginSpec[];
  try {
    specs = pluginSpecs(libDir);
  } catch (e) {
    return [check("plugin tree", "FAIL", `${libDir}: the bundles do not load: ${(e as Error).message}`)];
  }
  checks.push(check("plugin tree", "OK", `root ${root}, bundles in ${libDir}`));
  for (const spec of specs) {
    const dir = join(root, spec.dir);
    const facts = fileFacts(dir);
    const files = new Map<string, FileFacts>();
    if (facts.kind === "dir") for (const f of readdirSync(dir)) files.set(f, fileFacts(join(dir, f)));
    const query = files.get("Plugin.Query")?.executable ? await runQuery(join(dir, "Plugin.Query")) : undefined;
    checks.push(evaluatePlugin(spec, facts, files, query));
  }
  return checks;
}

async function clusterChecks(cluster: ClusterRef, pool: string | undefined, log: Logger): Promise<Check[]> {
  const started = Date.now();
  let health: HealthFacts;
  try {
    const h = await clusterHealth(cluster, log);
    health = { status: h.status, checks: h.checks, ms: Date.now() - started };
  } catch (e) {
    health = { error: (e as Error).message, ms: Date.now() - started };
  }
  const checks = [evaluateCluster(health)];
  if (pool !== undefined && health.error === undefined) {
    try {
      const ns = await namespaceList({ cluster, pool }, log);
      checks.push(check("pool", "OK", `${pool}: usable by client.${cluster.user}, ${ns.length} namespace(s)`));
    } catch (e) {
      checks.push(check("pool", "FAIL", `${pool}: ${(e as Error).message}`));
    }
  }
  return checks;
}

export async function runDoctor(a: DoctorArgs, log: Logger): Promise<Report> {
  if (a.timeout !== undefined && a.timeout > 0) {
    process.env.CEPH_RBD_CONNECT_TIMEOUT = String(a.timeout);
    process.env.CEPH_RBD_OP_TIMEOUT = String(a.timeout);
  }
  let conf = a.conf ?? "/etc/ceph/ceph.conf";
  let user = (a.user ?? "admin").replace(/^client\./, "");
  let keyring = a.keyring;
  let monHost = a.monhost;
  let pool = a.pool;
  if (a.sr) {
    const ref = parseSrRef(a.sr);
    conf = ref.cluster.conf;
    user = ref.cluster.user;
    keyring = ref.cluster.keyring ?? keyring;
    monHost = ref.cluster.monHost ?? monHost;
    pool = ref.pool;
  }

  const [rbd, rados, ceph, qsd] = await Promise.all([
    toolVersion("rbd", log),
    toolVersion("rados", log),
    toolVersion("ceph", log),
    toolVersion("qemu-storage-daemon", log),
  ]);
  const checks: Check[] = [evaluateTools({ rbd, rados, ceph })];

  let parsed = new Map<string, Map<string, string>>();
  const confFacts = fileFacts(conf);
  if (confFacts.kind !== "file") {
    checks.push(check("configuration", monHost ? "WARN" : "FAIL", `${conf}: no such file${monHost ? " (monitors from --monhost)" : ""}`));
  } else {
    try {
      parsed = parseCephConf(readFileSync(conf, "utf8"));
      const mons = monHost ?? parsed.get("global")?.get("mon_host");
      checks.push(check("configuration", mons ? "OK" : "FAIL", `${conf}${mons ? `, monitors ${mons}` : ": no mon host (give --monhost)"}`));
    } catch (e) {
      checks.push(check("configuration", "FAIL", `${conf}: not readable: ${(e as Error).message}`));
    }
  }

  const candidates = keyring ? [keyring] : keyringCandidates(parsed, user);
  const found = keyring ? keyringFacts(keyring) : candidates.map(keyringFacts).find((k) => k.exists);
  checks.push(evaluateKeyring(found, user, candidates));

  if (!unavailable(ceph) && (confFacts.kind === "file" || monHost)) {
    checks.push(...(await clusterChecks({ conf, user, keyring, monHost }, pool, log)));
  } else {
    checks.push(check("cluster", "FAIL", `not checked: ${unavailable(ceph) ? "no ceph CLI" : "no configuration (give --conf or --monhost)"}`));
  }

  const kernel = evaluateKernel(kernelFeatures(), moduleInstalled());
  checks.push(kernel, evaluateQsd(qsd, kernel));
  checks.push(onPath("logger") ? check("syslog", "OK", "logger found: verbs log to syslog local2 (/var/log/SMlog)") : check("syslog", "WARN", "no `logger` on PATH: verbs log to stderr only, nothing reaches SMlog"));
  checks.push(check("runtime", "OK", `node ${process.version} (${process.execPath})`));
  checks.push(...(await treeChecks(a.root)));
  return report(checks);
}

// The `doctor` command of ceph-rbd-admin.
export async function doctorCommand(a: DoctorArgs, log: Logger): Promise<void> {
  const r = await runDoctor(a, log);
  process.stdout.write(`${a.json ? JSON.stringify(r, null, 2) : formatHuman(r)}\n`);
  if (!r.ok) process.exitCode = 1;
}
