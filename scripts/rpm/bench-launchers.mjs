// What each form of verb file costs per call (scripts/build.mjs --launcher=...): `Plugin.Query
// --json` from spawn to exit, run directly (as xapi-storage-script does) and as SMAPI tracing
// runs it (`python3 -m observer <file> --json`, i.e. runpy.run_path of the file), all forms
// interleaved so that each sees the same machine load. The environment is reduced to what
// xapi-storage-script's systemd unit gives (this machine's NODE_EXTRA_CA_CERTS alone would add
// tens of ms to every Node start).
//
//   node scripts/rpm/bench-launchers.mjs [--runs=30] [--json]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt;
const runs = Number(arg("runs", "30"));
const asJson = process.argv.includes("--json");
const PY = "/usr/bin/python3";
const env = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", CEPH_RBD_LOG_STDERR: "off" };
const input = '{"dbg":"bench"}';

const work = mkdtempSync(join(tmpdir(), "bench-launchers-"));
const query = {};
for (const form of ["node", "dual", "python"]) {
  const out = join(work, form);
  const b = spawnSync(process.execPath, [join(root, "scripts/build.mjs"), `--launcher=${form}`, `--out=${out}`], { encoding: "utf8" });
  if (b.status !== 0) throw new Error(`build --launcher=${form} failed: ${b.stderr}`);
  query[form] = join(out, "volume/org.xen.xapi.storage.ceph-rbd/Plugin.Query");
}
// What observer.py does with the file, minus OpenTelemetry (its own cost, the same for any plugin).
const runpy = (file) => [
  PY,
  ["-c", `import runpy,sys; sys.argv=[${JSON.stringify(file)},'--json']; runpy.run_path(${JSON.stringify(file)}, run_name='__main__')`],
];

const cases = {
  "node -e 0": [process.execPath, ["-e", "0"], ""],
  "python3 -c 0": [PY, ["-c", "0"], ""],
  "node launcher, direct": [query.node, ["--json"], input],
  "dual launcher, direct": [query.dual, ["--json"], input],
  "python launcher, direct": [query.python, ["--json"], input],
  "dual launcher, tracing (runpy)": [...runpy(query.dual), input],
  "python launcher, tracing (runpy)": [...runpy(query.python), input],
  "node launcher, tracing (runpy)": [...runpy(query.node), input],
};

// The runs are driven by a small Python harness: it measures each child's wall time and, from
// wait4(), its CPU time (user + system, grandchildren it waited for included), which the other
// processes on a busy machine disturb much less than wall time.
const harness = `
import json, os, sys, time
spec = json.load(sys.stdin)
env = spec["env"]
out = {c["name"]: {"wall": [], "cpu": [], "failed": 0} for c in spec["cases"]}
for i in range(spec["runs"] + 3):
    for c in spec["cases"]:
        rin, win = os.pipe()
        rout, wout = os.pipe()
        t = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(rin, 0); os.dup2(wout, 1)
            devnull = os.open("/dev/null", os.O_WRONLY); os.dup2(devnull, 2)
            for fd in (rin, win, rout, wout): os.close(fd)
            try:
                os.execve(c["argv"][0], c["argv"], env)
            finally:
                os._exit(127)
        os.close(rin); os.close(wout)
        os.write(win, c["input"].encode()); os.close(win)
        data = b""
        while True:
            chunk = os.read(rout, 65536)
            if not chunk: break
            data += chunk
        os.close(rout)
        _, status, ru = os.wait4(pid, 0)
        wall = (time.perf_counter() - t) * 1000
        ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and (c["input"] == "" or data.startswith(b"{"))
        if not ok: out[c["name"]]["failed"] += 1
        if i >= 3:
            out[c["name"]]["wall"].append(wall)
            out[c["name"]]["cpu"].append((ru.ru_utime + ru.ru_stime) * 1000)
json.dump(out, sys.stdout)
`;
const spec = { runs, env, cases: Object.entries(cases).map(([name, [cmd, args, input]]) => ({ name, argv: [cmd, ...args], input })) };
const h = spawnSync(PY, ["-c", harness], { input: JSON.stringify(spec), encoding: "utf8", maxBuffer: 1 << 24 });
if (h.status !== 0) throw new Error(`harness failed: ${h.stderr}`);
const measured = JSON.parse(h.stdout);
rmSync(work, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x) => Number(x.toFixed(1));
const base = { wall: median(measured["node launcher, direct"].wall), cpu: median(measured["node launcher, direct"].cpu) };
const rows = Object.entries(measured).map(([name, m]) => ({
  case: name,
  wall_median_ms: r1(median(m.wall)),
  wall_min_ms: r1(Math.min(...m.wall)),
  cpu_median_ms: r1(median(m.cpu)),
  wall_vs_node_launcher_ms: r1(median(m.wall) - base.wall),
  cpu_vs_node_launcher_ms: r1(median(m.cpu) - base.cpu),
  failed: m.failed,
}));
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
if (asJson) {
  process.stdout.write(`${JSON.stringify({ runs, node: process.version, load, rows }, null, 2)}\n`);
} else {
  const sign = (x) => `${x >= 0 ? "+" : ""}${x}`;
  console.log(`${runs} interleaved runs of each; node ${process.version}, ${PY}; Plugin.Query --json of the volume plugin; load average ${load}`);
  console.log(`${"".padEnd(34)} ${"wall median".padStart(12)} ${"wall min".padStart(9)} ${"CPU median".padStart(11)}   vs node launcher (wall / CPU)`);
  for (const r of rows) {
    const delta = r.case.includes("launcher") ? `   ${sign(r.wall_vs_node_launcher_ms)} / ${sign(r.cpu_vs_node_launcher_ms)} ms` : "";
    console.log(
      `${r.case.padEnd(34)} ${`${r.wall_median_ms} ms`.padStart(12)} ${`${r.wall_min_ms}`.padStart(9)} ${`${r.cpu_median_ms} ms`.padStart(11)}${delta}${r.failed ? `   FAILED ${r.failed}/${runs + 3}` : ""}`,
    );
  }
}
