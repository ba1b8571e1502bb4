// Commands of the `ceph` CLI (a Python program: ~0.3 s a call, so kept off hot paths).
import type { Logger } from "../log.js";
import { monArgs, type ClusterRef } from "./cluster.js";
import { runCeph } from "./exec.js";
import { Df, Health, parseJson } from "./outputs.js";

const ceph = (c: ClusterRef, log: Logger, args: string[]) => runCeph({ tool: "ceph", args, connection: monArgs(c), log });

export async function clusterDf(c: ClusterRef, log: Logger) {
  return parseJson(Df, await ceph(c, log, ["df", "detail", "--format", "json"]), "ceph df");
}

export async function clusterHealth(c: ClusterRef, log: Logger): Promise<Health> {
  return parseJson(Health, await ceph(c, log, ["health", "--format", "json"]), "ceph health");
}

export async function clusterVersion(c: ClusterRef, log: Logger): Promise<string> {
  return (await ceph(c, log, ["version"])).trim();
}
