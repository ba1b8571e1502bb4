// The per-host session service (docs/decisions/0010-session-service.md): Volume.stat, Volume.set
// and SR.stat against `node -e 0` with the service warm (it runs and holds a connected client),
// cold (stopped before the verb, which starts it) and off (the verb's own session), interleaved so
// that all see the same load; and the monitor sessions that a burst of verbs opens either way
// (the monitor's own counters, where its admin socket is on this host). Beside them, the floors
// of this design (scripts/bench/floor/): what a verb process costs that does only the least a
// Volume.stat must do, with and without the checks the project requires, warm and cold.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { GiB, log } from "./base.mjs";
import { admin } from "./commands.mjs";
import { childEnv, XAPI_LOGGING } from "./env.mjs";
import { run } from "./process.mjs";
import { newVolume, withSr } from "./sr.mjs";
import { againstNode, instructionsHeadline, instructionsText } from "./instructions.mjs";
import { cluster, tree } from "./state.mjs";
import { fmt, fmtRatio, fmtSummary, pairedRatio, summary, table } from "./stats.mjs";

const MODES = ["warm", "cold", "off"];

// What a cold verb cannot go below: its service is a Python process that imports the rados and
// rbd bindings and connects to the cluster (as ceph_rbd_session_connect.py does) before its
// first answer, and it can only be started once Node runs the launcher.
const FLOOR = [
  "import sys",
  'sys.path.extend(["/usr/lib/python3/dist-packages", "/usr/lib64/python%d.%d/site-packages" % sys.version_info[:2]])',
  "import rados, rbd",
  "c = rados.Rados(conffile=sys.argv[1], rados_id=sys.argv[2])",
  "c.connect(timeout=15)",
  "c.open_ioctx(sys.argv[3])",
  "c.shutdown()",
].join("\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function timed(file, args, params, env) {
  const r = await run(file, args, { input: JSON.stringify({ dbg: "bench-service", ...params }), env });
  if (r.code !== 0) throw new Error(`${file} exited ${r.code ?? r.signal}: ${r.stderr.slice(-500)}`);
  return r;
}
const verb = async (name, params, env) => (await timed(join(tree.volume, name), ["--json"], params, env)).ms;
const floorClient = (mode) => join(tree.dir, "bench-floor", mode);

// The floor clients (scripts/bench/floor/): bare and checked with the service warm, bare cold.
const FLOORS = [
  ["bare", "warm", "floor: transport only (stdin, hello + omap read, stdout)"],
  ["checked", "warm", "floor: the same with the required checks (params, SR URI, records read back, result)"],
  ["cold", "cold", "floor: transport only, service cold"],
];

// A run directory of this topic's own: its service, stopped for the cold runs, is no other
// topic's (with --quick, topics run at once).
const runDir = () => join(tree.dir, "run-service");

async function stopService() {
  await admin(["service", "stop"], { allowFail: true, env: { CEPH_RBD_RUN_DIR: runDir() } });
  const socket = join(runDir(), "session-service", "socket");
  for (let i = 0; i < 100 && existsSync(socket); i++) await sleep(50);
}

// Sessions the monitor opened meanwhile: those it removed plus the change in those open.
function monSessions() {
  const asok = cluster.dir && join(cluster.dir, "run", "ceph-mon.a.asok");
  if (!asok || !existsSync(asok)) return undefined;
  const r = spawnSync("ceph", ["--admin-daemon", asok, "perf", "dump"], { encoding: "utf8" });
  const m = r.status === 0 ? JSON.parse(r.stdout).mon : undefined;
  return m ? m.session_rm + m.num_sessions : undefined;
}

async function burst(n, env, params) {
  const before = monSessions();
  for (let i = 0; i < n; i++) await verb("Volume.stat", params, env);
  await sleep(1000);
  const after = monSessions();
  return before === undefined || after === undefined ? undefined : after - before;
}

export default {
  id: "service",
  title: "The session service: verbs warm, cold and off, and monitor sessions",
  async run({ quick, runs }) {
    const n = runs(15, 1);
    const verbs = n * 3 * MODES.length;
    const burstN = quick ? 10 : 100;
    mkdirSync(runDir(), { recursive: true, mode: 0o700 });
    const envOf = (mode) => childEnv({ ...XAPI_LOGGING, CEPH_RBD_SERVICE: mode === "off" ? "off" : "on", CEPH_RBD_RUN_DIR: runDir() });
    return withSr("bench service SR", async ({ sr }) => {
      const a = (await newVolume(sr, "A", GiB)).json;
      const cases = [
        ["Volume.stat", { sr, key: a.key }],
        ["Volume.set", { sr, key: a.key, k: "bench", v: "1" }],
        ["SR.stat", { sr }],
      ];
      const node = [];
      const floor = [];
      const ms = Object.fromEntries(cases.flatMap(([name]) => MODES.map((m) => [`${name} ${m}`, []])));
      const floors = Object.fromEntries(FLOORS.map(([mode]) => [mode, []]));
      await verb("SR.stat", { sr }, envOf("warm"));
      // The omap read Volume.stat makes, as the checked floor builds it, for the bare ones.
      const statParams = { sr, key: a.key };
      const floorOp = (await timed(floorClient("op"), [], statParams, envOf("warm"))).stdout;
      const floorEnv = (mode) => ({ ...envOf(mode), FLOOR_OP: floorOp });
      for (let i = 0; i < n; i++) {
        node.push((await run(process.execPath, ["-e", "0"], { env: envOf("off") })).ms);
        const py = await run("/usr/bin/python3", ["-E", "-S", "-c", FLOOR, cluster.conf, cluster.user, cluster.pool], { env: envOf("off") });
        if (py.code !== 0) throw new Error(`python3 connecting exited ${py.code ?? py.signal}: ${py.stderr.slice(-500)}`);
        floor.push(py.ms);
        for (const [name, params] of cases) {
          ms[`${name} off`].push(await verb(name, params, envOf("off")));
          await stopService();
          ms[`${name} cold`].push(await verb(name, params, envOf("cold")));
          ms[`${name} warm`].push(await verb(name, params, envOf("warm")));
        }
        for (const [mode, service] of FLOORS) {
          if (service === "cold") await stopService();
          floors[mode].push((await timed(floorClient(mode), [], statParams, floorEnv(service))).ms);
        }
      }
      log(`service: ${verbs} verbs timed`);
      // Wall time on this machine scatters by a third from run to run; instructions do not.
      const statInput = JSON.stringify({ dbg: "bench-service", ...statParams });
      const ins = quick
        ? undefined
        : await againstNode("service", "Volume.stat --json, service warm", 3, [join(tree.volume, "Volume.stat"), "--json"], statInput, envOf("warm"));
      const floorIns = {};
      for (const mode of quick ? [] : ["bare", "checked"])
        floorIns[mode] = await againstNode("service", `floor ${mode}`, 3, [floorClient(mode)], statInput, floorEnv("warm"));
      await stopService();
      const sessions = { on: await burst(burstN, envOf("warm"), { sr, key: a.key }), off: await burst(burstN, envOf("off"), { sr, key: a.key }) };
      const status = (await admin(["service", "status", "--json"], { env: { CEPH_RBD_RUN_DIR: runDir() } })).json?.service;
      await stopService();
      const rows = Object.entries(ms).map(([k, xs]) => [k, fmtSummary(summary(xs)), fmtSummary(pairedRatio(xs, node), fmtRatio)]);
      const sess = (x) => (x === undefined ? "not measured (no monitor admin socket on this host)" : String(x));
      const markdown = [
        `Each verb ${n} time(s) in each mode, interleaved with \`node -e 0\`; cold: the service stopped just before the verb, which starts it and waits for it.`,
        "",
        table(
          ["process", "wall ms: median (min–max)", "ratio to node -e 0 (per pair)"],
          [
            ["node -e 0", fmtSummary(summary(node)), "1×"],
            ["python3: import rados, rbd; connect", fmtSummary(summary(floor)), fmtSummary(pairedRatio(floor, node), fmtRatio)],
            ...rows,
            ...FLOORS.map(([mode, , label]) => [label, fmtSummary(summary(floors[mode])), fmtSummary(pairedRatio(floors[mode], node), fmtRatio)]),
          ],
        ),
        "",
        "The python3 row is what a cold verb waits for after Node has started (a service's own start, its imports and its connection).",
        "",
        "The floor rows are this design's limits, measured: a Node process per verb (xapi-storage-script forks one), the session service over its unix socket. Each floor client (scripts/bench/floor/, built with `scripts/build.mjs --bench-floor`, loaded through the plugin's code cache like a verb) makes Volume.stat's one omap read, hello and request written together, and prints the answer: no logging, no deadline, no fallback, no error mapping. *transport only* checks nothing; *with the required checks* validates what the project requires of every verb (its params at the edge, the SR's URI, the entries read back from Ceph, the result, with the product's own zod schemas) and prints the very record Volume.stat answers; *service cold* starts the service first thing, as the launcher does, and waits for its socket. A verb cannot cost less than its floor: a goal below a floor is out of reach in this design.",
        "",
        ...Object.entries(floorIns).map(([mode, fi]) => `Floor ${mode}: ${instructionsText(fi, `the ${mode} floor`)}`),
        "",
        table(["monitor sessions opened by", "service on", "service off"], [[`${burstN} Volume.stat`, sess(sessions.on), sess(sessions.off)]]),
        "",
        status ? `The service after the run: RSS ${fmt(status.rss_kib / 1024)} MiB, ${status.threads} threads, ${status.clients.length} client(s).` : "",
        "",
        quick ? "Instruction count: skipped with --quick." : instructionsText(ins, "Volume.stat"),
      ].join("\n");
      const head = (name) => ({
        what: `${name}, service warm`,
        ours: `${fmt(summary(ms[`${name} warm`])?.median)} ms`,
        theirs: `node -e 0: ${fmt(summary(node)?.median)} ms`,
        ratio: pairedRatio(ms[`${name} warm`], node),
        of: `${name} warm / node -e 0 (time)`,
      });
      return {
        markdown,
        headline: [
          ...cases.map(([name]) => head(name)),
          ...instructionsHeadline(ins, "Volume.stat, service warm", "Volume.stat warm"),
          ...[
            ["checked", "floor of a warm Volume.stat: its required checks, one omap read"],
            ["cold", "floor of a cold verb: the service started and waited for, one omap read"],
          ].map(([mode, what]) => ({
            what,
            ours: `${fmt(summary(floors[mode])?.median)} ms`,
            theirs: `node -e 0: ${fmt(summary(node)?.median)} ms`,
            ratio: pairedRatio(floors[mode], node),
            of: `${mode} floor / node -e 0 (time)`,
          })),
        ],
        data: { node, floor, ms, floors, sessions, status, instructions: ins, floorInstructions: floorIns },
      };
    });
  },
};
