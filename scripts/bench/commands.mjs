// The commands the bench measures or uses: the verbs, the Ceph CLIs, other tools and the admin
// command.
import { join } from "node:path";
import { tail } from "./base.mjs";
import { childEnv } from "./env.mjs";
import { run } from "./process.mjs";
import { checkInterrupt, cluster, tree } from "./state.mjs";

export const cephArgs = () => ["--conf", cluster.conf, "--id", cluster.user];

// A Ceph CLI (rbd, rados, ceph) with the conf and cephx id the SRs use; throws on failure.
export async function ceph(tool, args, { ignoreInterrupt = false, ...o } = {}) {
  checkInterrupt(ignoreInterrupt);
  const r = await run(tool, [...cephArgs(), ...args], o);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(" ")} exited ${r.code ?? r.signal}: ${tail(r.stderr, 800)}`);
  return r;
}

// Sequential 4 MiB writes of `total` (bytes, or with a unit: "64M") over the image `spec`, `threads`
// at a time: untimed set-up that gives a measured step data to read or copy.
export const rbdFill = (spec, total, threads) =>
  ceph("rbd", ["bench", "--io-type", "write", "--io-size", "4M", "--io-threads", String(threads), "--io-total", String(total), "--io-pattern", "seq", spec]);

// Any other tool (qemu-img, fio); throws on failure.
export async function tool(cmd, args, { ignoreInterrupt = false } = {}) {
  checkInterrupt(ignoreInterrupt);
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code ?? r.signal}: ${tail(r.stderr || r.stdout, 800)}`);
  return r;
}

// The verb's own cost line on stderr: "... Volume.create ok in 312 ms, 7 Ceph calls (0 CLI), 3
// omap entries read": its Ceph operations, how many of them started a CLI process, and the
// metadata entries it read.
const COST = /\] (\S+) (ok|failed) in (\d+) ms, (\d+) Ceph calls \((\d+) CLI\), (\d+) omap entries read/;

// A verb executable run as xapi-storage-script runs it (`<Verb> --json`, params on stdin);
// returns its wall time, its Ceph call count and its result, or throws with what it printed.
async function exec(path, label, params, { ignoreInterrupt = false } = {}) {
  checkInterrupt(ignoreInterrupt);
  const r = await run(path, ["--json"], { input: JSON.stringify({ dbg: `bench-${label}`, ...params }) });
  if (r.code !== 0) throw new Error(`${label} exited ${r.code ?? r.signal}: stdout ${tail(r.stdout, 1000)}; stderr ${tail(r.stderr)}`);
  try {
    const cost = COST.exec(r.stderr);
    return { ms: r.ms, calls: Number(cost?.[4] ?? NaN), cli: Number(cost?.[5] ?? NaN), entries: Number(cost?.[6] ?? NaN), json: JSON.parse(r.stdout) };
  } catch {
    throw new Error(`${label} printed no JSON: ${tail(r.stdout, 500)}`);
  }
}
export const callVerb = (verb, params, o) => exec(join(tree.volume, verb), verb, params, o);
export const callDatapath = (verb, params, o) => exec(join(tree.datapath, `Datapath.${verb}`), `Datapath.${verb}`, params, o);

// The admin command; `json` is its parsed stdout when it printed one JSON value.
export async function admin(args, { env = {}, allowFail = false, ignoreInterrupt = false } = {}) {
  checkInterrupt(ignoreInterrupt);
  const r = await run(tree.admin, args, { env: childEnv(env) });
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  if (r.code !== 0 && !allowFail) throw new Error(`ceph-rbd-admin ${args.join(" ")} exited ${r.code ?? r.signal}: ${tail(r.stderr)}`);
  return { ...r, json };
}
