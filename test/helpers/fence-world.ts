// What the fencing tests share: an SR on the rbd+nbd datapath, hosts simulated by identity and run
// directory, the datapath verbs run as a given host, the SR's activation records, and stand-in
// clients of an image; every address a test blocklists is removed after the file.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { signal } from "../../plugins/process.js";
import { call, DATAPATH_DIR, runExecutable, type WireError } from "./run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "./sr.js";

export const MiB = 1024 * 1024;
export const HOST_A = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
export const HOST_B = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";
export const HOST_C = "cccccccc-3333-4333-8333-cccccccccccc";
export const HOST_D = "dddddddd-4444-4444-8444-dddddddddddd";
export const HOST_E = "eeeeeeee-5555-4555-8555-eeeeeeeeeeee";
export let s: TestSr;
export let run: string;
// Every address a test here might get blocklisted, removed at the end whatever happened.
export const blocklisted: string[] = [];
export const standIns: number[] = [];

export type Backend = { implementations: Array<[string, Record<string, unknown>]> };
export type Activation = { host: string; clients: string[]; starting?: boolean };

export const host = (id: string) => ({ CEPH_RBD_HOST_UUID: id, CEPH_RBD_RUN_DIR: join(run, id) });
export const ceph = (tool: string, args: string[]) => execFileSync(tool, ["--conf", s.conf, ...args], { encoding: "utf8" });
export const rados = (args: string[]) => ceph("rados", ["--pool", s.pool, "--namespace", s.namespace, ...args]);

export async function dp<T = null>(verb: string, uri: string, domain: string, env: Record<string, string>): Promise<T> {
  const r = await runExecutable(join(DATAPATH_DIR("rbd+nbd"), `Datapath.${verb}`), JSON.stringify({ dbg: `fence-${verb}`, uri, domain }), ["--json"], env);
  if (r.code !== 0) throw Object.assign(new Error(`Datapath.${verb} exited ${r.code}: ${r.stdout}`), { wire: r.json as WireError });
  return r.json as T;
}
export const failing = (verb: string, uri: string, env: Record<string, string>, extra: Record<string, string> = {}) =>
  dp(verb, uri, "1", { ...env, ...extra }).then(
    () => undefined,
    (x: { wire: WireError }) => x.wire,
  );

export const nbdOf = (b: Backend) => (b.implementations.find(([k]) => k === "Nbd")?.[1] as { uri: string }).uri;
export const io = (nbd: string, cmd: string) => {
  const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd);
  return execFileSync("qemu-io", ["-f", "raw", "-c", cmd, `nbd+unix:///${m?.[2]}?socket=${m?.[1]}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
};
export const imageOf = (uri: string) => decodeURIComponent(/^[a-z+]+:\/\/[^/]+\/[^/]*\/([^/?]+)\?/.exec(uri)?.[1] ?? "");
export const watchers = (image: string): string[] =>
  (JSON.parse(ceph("rbd", ["status", "--format", "json", `${s.pool}/${s.namespace}/${image}`])) as { watchers: Array<{ address: string }> }).watchers.map(
    (w) => w.address,
  );
export const blocklist = (): string[] =>
  ceph("ceph", ["osd", "blocklist", "ls"])
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter(Boolean);

export function activationText(key: string): string | undefined {
  const keys = rados(["listomapkeys", "ceph_rbd_sr"]).split("\n");
  if (!keys.includes(`act:${key}`)) return undefined;
  const out = join(mkdtempSync(join(tmpdir(), "omap-")), "v");
  rados(["getomapval", "ceph_rbd_sr", `act:${key}`, out]);
  return readFileSync(out, "utf8");
}
export const activation = (key: string): Activation | undefined => {
  const text = activationText(key);
  return text === undefined ? undefined : (JSON.parse(text) as Activation);
};
export const forge = (key: string, value: string) => rados(["setomapval", "ceph_rbd_sr", `act:${key}`, value]);

export async function volume(name: string): Promise<{ key: string; uri: string }> {
  const v = await call<WireVolume>("Volume.create", { sr: s.sr, name, description: "", size: 8 * MiB, sharable: false });
  return { key: v.key, uri: v.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "" };
}

// Another client of the image on host A, as A's kernel mapping stays after a live migration
// (deactivate does not unmap): a qemu-storage-daemon of the test's own, writable.
export function standIn(image: string): string {
  const dir = mkdtempSync(join(tmpdir(), "stand-in-"));
  const socket = join(dir, "s.sock");
  execFileSync("qemu-storage-daemon", [
    "--blockdev",
    `driver=rbd,node-name=disk,pool=${s.pool},namespace=${s.namespace},image=${image},conf=${s.conf},cache.direct=on`,
    "--nbd-server",
    `addr.type=unix,addr.path=${socket}`,
    "--export",
    "type=nbd,id=e,node-name=disk,name=standin,writable=on",
    "--pidfile",
    join(dir, "pid"),
    "--daemonize",
  ]);
  standIns.push(Number(readFileSync(join(dir, "pid"), "utf8")));
  return `nbd:unix:${socket}:exportname=standin`;
}

// The file's SR and run directory, made before its tests; what they blocklisted and started, undone after.
export function fenceWorld(): void {
  beforeAll(async () => {
    s = await makeSr({ datapath: "rbd+nbd" });
    run = mkdtempSync(join(tmpdir(), "fence-run-"));
  });

  afterAll(() => {
    const listed = blocklist();
    for (const a of new Set(blocklisted)) if (listed.includes(a)) ceph("ceph", ["osd", "blocklist", "rm", a]);
    for (const pid of standIns) signal(pid, "SIGKILL");
  });
}
