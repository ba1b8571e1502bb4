// The pool's cluster seen from the machine's own namespace (an observer, no host): an SR's
// activation records, the blocklist, and an SR made on one host and attached on all.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TestSr } from "../sr.js";
import type { TestHost } from "./host.js";
import { world } from "./pool.js";
import { callOn } from "./verbs.js";

export const cephTool = (tool: string, args: string[]): string =>
  execFileSync(tool, ["--conf", world.conf, ...args], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });

export interface Activation {
  host: string;
  clients: string[];
  starting?: boolean;
}

export function activationOf(s: TestSr, key: string): Activation | undefined {
  const base = ["--pool", s.pool, "--namespace", s.namespace];
  const keys = cephTool("rados", [...base, "listomapkeys", "ceph_rbd_sr"]).split("\n");
  if (!keys.includes(`act:${key}`)) return undefined;
  const out = join(mkdtempSync(join(tmpdir(), "omap-")), "v");
  try {
    cephTool("rados", [...base, "getomapval", "ceph_rbd_sr", `act:${key}`, out]);
    return JSON.parse(readFileSync(out, "utf8")) as Activation;
  } finally {
    rmSync(dirname(out), { recursive: true, force: true });
  }
}

export const blocklisted = (): string[] =>
  cephTool("ceph", ["osd", "blocklist", "ls"])
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter(Boolean);

// SR.create on the first host, SR.attach on every host at once: one SR for all.
export async function srOfPool(name: string, extra: Record<string, string> = {}, env?: Record<string, string>): Promise<TestSr> {
  const uuid = randomUUID();
  const config = await callOn<Record<string, string>>(world.hosts[0] as TestHost, "SR.create", {
    uuid,
    configuration: { pool: world.pool, conf: world.conf, ...extra },
    name,
    description: "",
  });
  const srs = await Promise.all(world.hosts.map((h) => callOn<string>(h, "SR.attach", { configuration: config }, env)));
  if (new Set(srs).size !== 1) throw new Error(`the hosts attached different SRs: ${srs.join(", ")}`);
  return { uuid, sr: srs[0] ?? "", config, pool: config.pool ?? world.pool, conf: world.conf, namespace: config.namespace ?? "" };
}
