// ceph-rbd-admin doctor: is this host ready to serve ceph-rbd SRs? Each check is OK, WARN or
// FAIL with one line of detail; any FAIL makes the command exit non-zero. Checks: the Ceph CLIs
// (ceph-common), the configuration, the keyring (readable, not world-readable), the cluster
// (reachable within the gateway's timeouts, its health, the pool if named), kernel RBD (the rbd
// datapath), qemu-storage-daemon (the rbd+nbd datapath), syslog, and the plugin tree (every
// verb's launcher present and executable, each plugin answering Plugin.Query).
//
// The pure parts (parsing, evaluating what was found, formatting) live beside this file, for unit
// tests; this one gathers the facts. Only plugins/ceph runs Ceph CLIs. Nothing secret is ever read
// into the report: of a keyring, only its mode and its section names are looked at.
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { release } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterRef } from "../../../plugins/ceph/cluster.js";
import { kernelFeatures } from "../../../plugins/ceph/krbd.js";
import { clusterHealth } from "../../../plugins/ceph/mon.js";
import { namespaceList } from "../../../plugins/ceph/rbd.js";
import { toolVersion } from "../../../plugins/ceph/versions.js";
import type { Logger } from "../../../plugins/log.js";
import { capture } from "../../../plugins/runtime/child.js";
import { envWith, setSetting } from "../../../plugins/settings.js";
import { parseSrPlace } from "../../sr/sr-place.js";
import { evaluateCluster, evaluateKernel, evaluateQsd, evaluateTools, unavailable, type HealthFacts } from "./host.js";
import { evaluateKeyring, keyringCandidates, keyringEntities, parseCephConf, type KeyringFacts } from "./keyring.js";
import { defaultRoot, evaluatePlugin, VOLUME_PLUGIN, XSS_ROOT, type FileFacts, type PluginSpec, type QueryRun } from "./plugins.js";
import { serviceCheck, serviceStatus } from "../service.js";
import { check, formatHuman, report, type Check, type Report } from "./report.js";

export const DOCTOR_OPTIONS = {
  conf: { type: "string", describe: "Ceph configuration file (device-config conf)", default: "/etc/ceph/ceph.conf" },
  user: { type: "string", describe: "cephx client id (device-config user)", default: "admin" },
  keyring: { type: "string", describe: "keyring path (device-config keyring; default: as the configuration says)" },
  monhost: { type: "string", describe: "monitor addresses (device-config monhost)" },
  pool: { type: "string", describe: "also check that this pool is usable (device-config pool)" },
  sr: { type: "string", describe: "take conf, user, keyring, monhost and pool from an SR's sr string" },
  root: { type: "string", describe: `plugin root to check (default ${XSS_ROOT} for the RPM, dist/install/ in a checkout)` },
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
// The directory of the running bundle (dist/install/lib, or the RPM's libexec lib).
const ownLibDir = (): string => (typeof __dirname === "string" ? __dirname : join(dirname(fileURLToPath(import.meta.url)), "../../../dist/install/lib"));

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

async function runQuery(path: string): Promise<QueryRun> {
  const started = Date.now();
  const r = await capture(path, ["--json"], { input: '{"dbg":"doctor"}', env: envWith("logStderr", "off"), timeoutMs: 30_000 });
  return { code: r.code ?? null, stdout: r.stdout, ms: Date.now() - started, ...(r.error === undefined ? {} : { error: r.error }) };
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
    setSetting("connectTimeout", String(a.timeout));
    setSetting("opTimeout", String(a.timeout));
  }
  let conf = a.conf ?? "/etc/ceph/ceph.conf";
  let user = (a.user ?? "admin").replace(/^client\./, "");
  let keyring = a.keyring;
  let monHost = a.monhost;
  let pool = a.pool;
  if (a.sr) {
    const ref = parseSrPlace(a.sr);
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
  checks.push(
    onPath("logger")
      ? check("syslog", "OK", "logger found: verbs log to syslog local2 (/var/log/SMlog)")
      : check("syslog", "WARN", "no `logger` on PATH: verbs log to stderr only, nothing reaches SMlog"),
  );
  checks.push(check("runtime", "OK", `node ${process.version} (${process.execPath})`));
  checks.push(serviceCheck(await serviceStatus()));
  checks.push(...(await treeChecks(a.root)));
  return report(checks);
}

// The `doctor` command of ceph-rbd-admin.
export async function doctorCommand(a: DoctorArgs, log: Logger): Promise<void> {
  const r = await runDoctor(a, log);
  process.stdout.write(`${a.json ? JSON.stringify(r, null, 2) : formatHuman(r)}\n`);
  if (!r.ok) process.exitCode = 1;
}
