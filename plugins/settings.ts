// Every CEPH_RBD_* environment setting, in one table: its variable, kind, default, bounds, whether
// only tests may use it, and what it does (docs/settings.md is generated from this table, and a
// unit test fails when the two differ). Values are read when asked for, never cached: tests change
// the environment per process, and some set it and then call.
//
// One rule for a value that does not parse or is out of bounds: the default is used, with one
// warning per setting and process (drained into the log by log.ts). Refusing would make every
// verb of a host fail over a tuning typo, and the defaults are the safe values.
//
// Test-only settings (test-mode.ts) are honoured only with CEPH_RBD_TEST_MODE=1: elsewhere their
// default is used, whatever the environment says.
//
// Imports nothing: the launcher's earliest code (runtime/early.ts, through run-dir.ts and
// code-cache.ts) reads it before any bundle is loaded.

type Kind = "seconds" | "milliseconds" | "integer" | "enum" | "path" | "string" | "flag";

interface Spec {
  readonly env: string;
  readonly kind: Kind;
  readonly default?: number | string | boolean;
  // Inclusive; numbers must also be above 0.
  readonly max?: number;
  readonly values?: readonly string[];
  readonly testOnly?: boolean;
  readonly doc: string;
}

const LEVELS = ["debug", "info", "warning", "error", "off"] as const;
const ON_OFF = ["on", "off"] as const;

export const SETTINGS = {
  testMode: { env: "CEPH_RBD_TEST_MODE", kind: "flag", default: false, doc: "1 turns test mode on: the test-only settings below are honoured." },
  connectTimeout: { env: "CEPH_RBD_CONNECT_TIMEOUT", kind: "seconds", default: 15, doc: "Bound on connecting to the cluster, per Ceph call." },
  opTimeout: { env: "CEPH_RBD_OP_TIMEOUT", kind: "seconds", default: 30, doc: "Bound on each RADOS or RBD operation once connected." },
  mgrTimeout: {
    env: "CEPH_RBD_MGR_TIMEOUT",
    kind: "seconds",
    default: 5,
    doc: "Bound on each mgr command (the rbd_support task queue): an absent, stopped or slow mgr costs no more.",
  },
  diffTimeout: {
    env: "CEPH_RBD_DIFF_TIMEOUT",
    kind: "seconds",
    default: 600,
    doc: "Bound on one Volume.list_changed_blocks diff (an image without fast-diff is read object by object).",
  },
  lockLease: { env: "CEPH_RBD_LOCK_LEASE", kind: "seconds", default: 60, doc: "Lease of a verb's RADOS lock (renewed while the verb runs)." },
  lockWait: { env: "CEPH_RBD_LOCK_WAIT", kind: "seconds", default: 45, doc: "How long a verb waits for a busy lock before failing." },
  python: { env: "CEPH_RBD_PYTHON", kind: "path", default: "/usr/bin/python3", doc: "The Python that runs the librados session helper (ceph-session.py)." },
  runDir: {
    env: "CEPH_RBD_RUN_DIR",
    kind: "path",
    default: "/run/ceph-rbd",
    doc: "This host's private run directory: GC pid files, datapath state, code cache.",
  },
  service: {
    env: "CEPH_RBD_SERVICE",
    kind: "enum",
    values: ON_OFF,
    default: "on",
    doc: "on: verbs reach Ceph through the per-host session service (started by the first that needs it); off: every verb runs its own librados session. ceph-rbd-admin (the GC worker too) always runs its own.",
  },
  serviceIdle: {
    env: "CEPH_RBD_SERVICE_IDLE",
    kind: "seconds",
    default: 300,
    max: 86400,
    doc: "How long the session service stays with no verb connected before it leaves.",
  },
  codeCache: { env: "CEPH_RBD_CODE_CACHE", kind: "enum", values: ON_OFF, default: "on", doc: "off compiles the bundles without V8's code cache." },
  logStderr: { env: "CEPH_RBD_LOG_STDERR", kind: "enum", values: LEVELS, default: "info", doc: "Lowest level logged to stderr (off: none)." },
  logSyslog: { env: "CEPH_RBD_LOG_SYSLOG", kind: "enum", values: LEVELS, default: "debug", doc: "Lowest level logged to syslog local2 (SMlog) (off: none)." },
  gc: { env: "CEPH_RBD_GC", kind: "enum", values: ON_OFF, default: "on", doc: "off: SR.attach starts no GC worker." },
  gcMgr: { env: "CEPH_RBD_GC_MGR", kind: "enum", values: ON_OFF, default: "on", doc: "off: the GC does heavy work itself instead of queueing mgr tasks." },
  gcInterval: { env: "CEPH_RBD_GC_INTERVAL", kind: "seconds", default: 30, doc: "Time between a GC worker's passes." },
  gcLease: { env: "CEPH_RBD_GC_LEASE", kind: "seconds", default: 60, doc: "Lease of the GC's pass lock (renewed while a pass runs)." },
  gcFlattenDeadline: { env: "CEPH_RBD_GC_FLATTEN_DEADLINE", kind: "seconds", default: 600, doc: "Longest a GC flatten may run." },
  gcStopGrace: {
    env: "CEPH_RBD_GC_STOP_GRACE_MS",
    kind: "milliseconds",
    default: 5000,
    doc: "How long SR.detach lets a GC worker end its pass before killing it.",
  },
  gcSoftDepth: { env: "CEPH_RBD_GC_SOFT_DEPTH", kind: "integer", default: 8, doc: "Clone depth from which the GC flattens." },
  gcHardDepth: {
    env: "CEPH_RBD_GC_HARD_DEPTH",
    kind: "integer",
    default: 14,
    doc: "Chain depth a new clone may not exceed (capped at 16, krbd's limit): a flatten is queued instead.",
  },
  gcGoneDays: { env: "CEPH_RBD_GC_GONE_DAYS", kind: "integer", default: 7, doc: "Days the GC keeps the record that a volume was destroyed." },
  hostUuid: { env: "CEPH_RBD_HOST_UUID", kind: "string", testOnly: true, doc: "Plays this host instead of the inventory's INSTALLATION_UUID." },
  crashAt: { env: "CEPH_RBD_CRASH_AT", kind: "string", testOnly: true, doc: "`<op>:<step>`: SIGKILL this process at that crash point." },
  pauseAt: { env: "CEPH_RBD_PAUSE_AT", kind: "string", testOnly: true, doc: "`<op>:<step>`: SIGSTOP this process at that crash point." },
  gcTrace: { env: "CEPH_RBD_GC_TRACE", kind: "path", testOnly: true, doc: "A file where each GC pass appends its start and end." },
  syslogSocket: {
    env: "CEPH_RBD_SYSLOG_SOCKET",
    kind: "path",
    default: "/dev/log",
    testOnly: true,
    doc: "The syslog socket the session service hands the verbs' lines to.",
  },
  sysfsRbd: {
    env: "CEPH_RBD_SYSFS_RBD",
    kind: "path",
    default: "/sys/bus/rbd",
    testOnly: true,
    doc: "Where krbd's sysfs directory is (tests point it at a missing one).",
  },
} as const satisfies Record<string, Spec>;

export type SettingName = keyof typeof SETTINGS;
type SpecOf<K extends SettingName> = (typeof SETTINGS)[K];
export type SettingValue<K extends SettingName> =
  SpecOf<K> extends { kind: "seconds" | "milliseconds" | "integer" }
    ? number
    : SpecOf<K> extends { kind: "flag" }
      ? boolean
      : SpecOf<K> extends { values: readonly (infer V)[] }
        ? V
        : SpecOf<K> extends { default: string }
          ? string
          : string | undefined;

const warned = new Set<string>();
const pending: string[] = [];

// Warnings about unusable values, each once per process; log.ts writes them out.
export const takeSettingWarnings = (): string[] => pending.splice(0);

const parse = (spec: Spec, raw: string): number | string | boolean | undefined => {
  switch (spec.kind) {
    case "seconds":
    case "milliseconds":
    case "integer": {
      const n = Number(raw);
      const ok =
        raw.trim() !== "" && Number.isFinite(n) && n > 0 && (spec.kind !== "integer" || Number.isInteger(n)) && (spec.max === undefined || n <= spec.max);
      return ok ? n : undefined;
    }
    case "flag":
      return raw === "1" ? true : raw === "0" ? false : undefined;
    case "enum":
      return spec.values?.includes(raw) ? raw : undefined;
    case "path":
      return raw.startsWith("/") ? raw : undefined;
    case "string":
      return raw === "" ? undefined : raw;
  }
};

export function setting<K extends SettingName>(name: K): SettingValue<K> {
  const spec: Spec = SETTINGS[name];
  const raw = process.env[spec.env];
  const ignored = raw === undefined || (spec.testOnly === true && !setting("testMode"));
  const value = ignored ? undefined : parse(spec, raw);
  if (!ignored && value === undefined && !warned.has(spec.env)) {
    warned.add(spec.env);
    pending.push(
      `${spec.env}: unusable value ${JSON.stringify(raw.slice(0, 100))} (${valueRule(spec)}): using ${spec.default === undefined ? "none" : String(spec.default)}`,
    );
  }
  return (value ?? spec.default) as SettingValue<K>;
}

// For a process that sets a setting for itself and its children (the admin command's options).
export const setSetting = (name: SettingName, value: string): void => {
  process.env[SETTINGS[name].env] = value;
};
export const defaultSetting = (name: SettingName, value: string): void => {
  process.env[SETTINGS[name].env] ??= value;
};
// This environment with one setting changed, for a child process.
export const envWith = (name: SettingName, value: string): NodeJS.ProcessEnv => ({ ...process.env, [SETTINGS[name].env]: value });

export function valueRule(spec: Spec): string {
  switch (spec.kind) {
    case "seconds":
    case "milliseconds":
      return `${spec.kind} above 0`;
    case "integer":
      return `an integer above 0${spec.max === undefined ? "" : ` up to ${spec.max}`}`;
    case "flag":
      return "1 or 0";
    case "enum":
      return (spec.values ?? []).join(", ");
    case "path":
      return "an absolute path";
    case "string":
      return "a non-empty string";
  }
}
