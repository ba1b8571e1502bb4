// ceph-rbd-admin: what `xe` cannot do. Human output by default, --json for scripts.
//   gc status | gc run | gc worker    the SR's garbage collector
//   fsck [--repair]                   the SR's metadata against the pool
//   upgrade                           the SR's metadata layout to this version's
//   service status | service stop      this host's session service
//   doctor                            this host's readiness (Ceph tools, cluster, keyring, datapaths, plugin tree)
// The SR is named by its `sr` string, or by its device-config (as `xe pbd-param-get` shows it).
import yargs, { type Argv } from "yargs";
import { ownSessionsOnly } from "../../plugins/ceph/service-reach.js";
import { createLogger, type Logger } from "../../plugins/log.js";
import { defaultSetting } from "../../plugins/settings.js";
import { isSmapiError } from "../../plugins/wire/errors.js";
import { look } from "../gc/pass.js";
import { applyOptions, lockedPass, runWorker, type StatusRecord } from "../gc/worker.js";
import { K } from "../meta/layout.js";
import { readEntries, type Sr } from "../meta/store.js";
import { parseDeviceConfig } from "../sr/config.js";
import { parseSrPlace, srPlaceOf } from "../sr/sr-place.js";
import { doctorCommand, DOCTOR_OPTIONS } from "./doctor/command.js";
import { fence } from "./fence.js";
import { fsck } from "./fsck.js";
import { srTasks, watchTasks } from "./progress.js";
import { formatStatus, serviceStatus, stopService } from "./service.js";
import { upgrade } from "./upgrade.js";

const SR_OPTIONS = {
  sr: { type: "string", describe: "the SR's sr string (as SR.attach returns it)" },
  pool: { type: "string", describe: "device-config pool" },
  "sr-uuid": { type: "string", describe: "device-config sr_uuid" },
  namespace: { type: "string", describe: "device-config namespace (default sr-<sr-uuid>)" },
  conf: { type: "string", describe: "device-config conf" },
  user: { type: "string", describe: "device-config user" },
  keyring: { type: "string", describe: "device-config keyring" },
  monhost: { type: "string", describe: "device-config monhost" },
  json: { type: "boolean", default: false, describe: "machine-readable output" },
} as const;

const JSON_OPTION = { json: SR_OPTIONS.json } as const;

type SrArgs = { sr?: string; pool?: string; "sr-uuid"?: string; namespace?: string; conf?: string; user?: string; keyring?: string; monhost?: string };

function srOf(a: SrArgs, log: Logger): Sr {
  if (a.sr) return { place: parseSrPlace(a.sr), log };
  const raw: Record<string, string> = {};
  for (const [opt, key] of [
    ["pool", "pool"],
    ["sr-uuid", "sr_uuid"],
    ["namespace", "namespace"],
    ["conf", "conf"],
    ["user", "user"],
    ["keyring", "keyring"],
    ["monhost", "monhost"],
  ] as const) {
    const v = a[opt];
    if (v !== undefined) raw[key] = v;
  }
  const c = parseDeviceConfig(raw);
  const namespace = c.namespace ?? (c.sr_uuid ? `sr-${c.sr_uuid}` : undefined);
  if (!namespace) throw new Error("name the SR: --sr, or --pool with --sr-uuid (or --namespace)");
  return { place: srPlaceOf(c, namespace), log };
}

const print = (json: boolean, value: unknown, human: () => string) => process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human()}\n`);

async function gcStatus(sr: Sr, json: boolean): Promise<void> {
  const entries = await readEntries(sr);
  if (!entries) throw new Error(`no SR in ${sr.place.pool}/${sr.place.namespace}`);
  const last = entries.get(K.gcStatus);
  const status = last ? (JSON.parse(last) as StatusRecord) : undefined;
  const [{ plan }, { tasks: mine, unknown }] = await Promise.all([look(sr), srTasks(sr)]);
  const report = {
    last: status,
    tombstones: plan.tombstones,
    pending: plan.actions,
    waiting: plan.waiting,
    tasks: mine,
    ...(unknown ? { tasksUnknown: unknown } : {}),
  };
  print(json, report, () =>
    [
      `SR ${sr.place.pool}/${sr.place.namespace}`,
      status
        ? `last pass: ${status.at} on ${status.host} (pid ${status.pid}), ${status.ms} ms, ${status.done.length} done, ${status.failed.length} failed${status.paused ? `, heavy work paused: ${status.paused}` : ""}`
        : "last pass: never",
      `tombstones: ${plan.tombstones}`,
      `pending (${plan.actions.length}):`,
      ...plan.actions.map(
        (a) =>
          `  ${a.kind} ${"image" in a ? a.image : "entry" in a ? a.entry : a.name}${"reason" in a ? ` (${a.reason})` : ""}${"bytes" in a ? ` (${a.bytes} bytes provisioned)` : ""}`,
      ),
      `waiting (${plan.waiting.length}):`,
      ...plan.waiting.map((w) => `  ${w.item}: ${w.why}`),
      unknown ? `mgr tasks: unknown: ${unknown}` : `mgr tasks (${mine.length}):`,
      ...mine.map(
        (t) =>
          `  ${t.message}${t.in_progress ? ` ${Math.round((t.progress ?? 0) * 100)}%` : " (queued)"}${t.retry_message ? ` retrying: ${t.retry_message}` : ""}`,
      ),
    ].join("\n"),
  );
}

async function gcRun(sr: Sr, json: boolean, wait: boolean): Promise<void> {
  const opts = applyOptions();
  const report = await lockedPass(sr, opts, true);
  if (!report) throw new Error("another GC pass holds the SR");
  // Only tasks this pass could have queued are followed: none once the mgr is off or failed it.
  if (wait && opts.mgr) await watchTasks(sr, json);
  print(json, { done: report.done, failed: report.failed, waiting: report.plan.waiting, paused: report.paused }, () =>
    [
      ...report.done.map((d) => `done: ${d}`),
      ...report.failed.map((f) => `failed: ${f}`),
      ...report.plan.waiting.map((w) => `waiting: ${w.item}: ${w.why}`),
      ...(report.paused ? [`paused: ${report.paused}`] : []),
      report.done.length + report.failed.length === 0 ? "nothing to do" : "",
    ]
      .filter(Boolean)
      .join("\n"),
  );
  if (report.failed.length > 0) process.exitCode = 1;
}

async function runFsck(sr: Sr, json: boolean, repair: boolean): Promise<void> {
  const findings = await fsck(sr, repair);
  print(json, { clean: findings.length === 0, findings }, () =>
    findings.length === 0
      ? `SR ${sr.place.pool}/${sr.place.namespace}: clean`
      : findings
          .map(
            (f) =>
              `${f.kind}: ${f.item}: ${f.detail}${f.repaired === true ? " [repaired]" : f.repaired === false ? " [NOT repaired]" : f.repairable ? " [repairable with --repair]" : ""}`,
          )
          .join("\n"),
  );
  if (findings.some((f) => f.repaired !== true)) process.exitCode = 1;
}

// For the bench, which starts GC workers as SR.attach does.
export { WORKER_NODE_FLAGS } from "../gc/control.js";

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  defaultSetting("logStderr", "warning");
  ownSessionsOnly();
  const log = createLogger("ceph-rbd-admin");
  const withSr = <T>(y: Argv<T>) => y.options(SR_OPTIONS);
  try {
    await yargs([...argv])
      .scriptName("ceph-rbd-admin")
      .command("gc", "the SR's garbage collector", (y) =>
        y
          .command("status", "what the GC holds, plans, waits for, and the mgr tasks in progress", withSr, (a) => gcStatus(srOf(a, log), a.json))
          .command(
            "run",
            "run one GC pass now (waits for a pass under way elsewhere)",
            (y2) => withSr(y2).option("wait", { type: "boolean", default: true, describe: "follow queued mgr tasks to the end" }),
            (a) => gcRun(srOf(a, log), a.json, a.wait),
          )
          .command("worker", false, withSr, (a) => runWorker(srOf(a, log), log))
          .demandCommand(1),
      )
      .command(
        "fence",
        "take a volume over from a dead host: blocklist its clients, break the image's locks, clear its activation",
        (y) =>
          withSr(y)
            .option("key", { type: "string", demandOption: true, describe: "the volume's key (VDI location)" })
            .option("host", { type: "string", demandOption: true, describe: "the dead host's uuid, as the activation records it" })
            .option("yes", { type: "boolean", default: false, describe: "confirm that the host is dead (required)" })
            .option("force", {
              type: "boolean",
              default: false,
              describe: "fence even when the host's clients are unknown (unfinished or unreadable activation): nothing is blocklisted",
            }),
        async (a) => {
          if (!a.yes) throw new Error("fencing cuts the host off the cluster for good: confirm with --yes that it is dead");
          const r = await fence(srOf(a, log), a.key, a.host, a.force);
          print(
            a.json,
            r,
            () => `fenced ${r.host} off ${r.key}: ${r.blocklisted.length} client(s) blocklisted (${r.blocklisted.join(", ")}), ${r.locksBroken} lock(s) broken`,
          );
        },
      )
      .command(
        "fsck",
        "check the SR's metadata against the pool",
        (y) => withSr(y).option("repair", { type: "boolean", default: false, describe: "fix what can be fixed safely" }),
        (a) => runFsck(srOf(a, log), a.json, a.repair),
      )
      .command("upgrade", "bring the SR's metadata layout to this version's (once every host of the pool runs this version)", withSr, async (a) => {
        const r = await upgrade(srOf(a, log));
        print(a.json, r, () => (r.from === r.to ? `SR layout ${r.to}: nothing to do` : `SR layout ${r.from} -> ${r.to}: ${r.indexed} index entries written`));
      })
      .command("service", "this host's session service (one librados client for every verb)", (y) =>
        y
          .command("status", "whether it runs, its version, clients, memory and threads", JSON_OPTION, async (a) => {
            const s = await serviceStatus();
            print(a.json, s, () => formatStatus(s));
          })
          .command("stop", "ask it to leave (verbs under way finish first; the next verb starts it again)", JSON_OPTION, async (a) => {
            const r = await stopService();
            print(a.json, r, () => (r.stopped ? `asked pid ${r.stopped} to leave` : "not running"));
          })
          .demandCommand(1),
      )
      .command(
        "doctor",
        "check this host: Ceph tools, configuration, keyring, cluster, kernel RBD, qemu-storage-daemon, plugin tree",
        (y) => y.options(DOCTOR_OPTIONS),
        (a) => doctorCommand(a, log),
      )
      .demandCommand(1)
      .strict()
      .help()
      .version(false)
      // yargs would print the usage text and a stack trace for a command's own failure, then
      // exit before the log is flushed to SMlog: the usage only for a usage error, and one line
      // (below) for either.
      .fail((msg, err, y) => {
        if (err) throw err;
        y.showHelp();
        throw new Error(msg);
      })
      .parseAsync();
  } catch (e) {
    process.exitCode = 1;
    const detail = isSmapiError(e) ? `${e.params.join(": ")}` : (e as Error).message;
    process.stderr.write(`ceph-rbd-admin: ${detail}\n`);
  } finally {
    log.flush();
  }
}

// Started as a program too: SR.attach runs this host's GC worker as `node admin.cjs gc worker`
// (with its own node flags, which the launcher's shebang cannot carry).
if (typeof module !== "undefined" && require.main === module) void main();
