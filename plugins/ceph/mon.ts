// Monitor and mgr commands: through the librados session (a few ms each, where the `ceph` CLI,
// a Python program, costs 0.3-1 s a call), but for the rare admin ones kept on the CLI.
import type { Logger } from "../log.js";
import { isEntityAddr } from "../wire/entity-addr.js";
import { monArgs, type ClusterRef } from "./cluster.js";
import { type Call, runCeph } from "./exec.js";
import type { Place } from "./cluster.js";
import { Df, Health, parseJson, TaskList } from "./outputs.js";
import { clusterCommand } from "./session.js";

const ceph = (c: ClusterRef, log: Logger, args: string[], how?: Pick<Call, "read">) => runCeph({ tool: "ceph", args, connection: monArgs(c), log, ...how });

export async function clusterDf(c: ClusterRef, log: Logger) {
  return parseJson(Df(), await clusterCommand(c, log, "mon", { prefix: "df", detail: "detail", format: "json" }), "ceph df");
}

export async function clusterHealth(c: ClusterRef, log: Logger): Promise<Health> {
  return parseJson(Health(), await clusterCommand(c, log, "mon", { prefix: "health", format: "json" }), "ceph health");
}

// The mgr rbd_support task queue: persistent in RADOS, retried, one task at a time cluster-wide,
// de-duplicated (adding a task already queued returns the queued one).
export async function taskAddFlatten(p: Place, log: Logger, image: string): Promise<void> {
  await clusterCommand(p.cluster, log, "mgr", { prefix: "rbd task add flatten", image_spec: `${p.pool}/${p.namespace}/${image}` });
}

export async function taskAddTrashRemove(p: Place, log: Logger, imageId: string): Promise<void> {
  await clusterCommand(p.cluster, log, "mgr", { prefix: "rbd task add trash remove", image_id_spec: `${p.pool}/${p.namespace}/${imageId}` });
}

export async function taskList(c: ClusterRef, log: Logger): Promise<TaskList> {
  return parseJson(TaskList(), await clusterCommand(c, log, "mgr", { prefix: "rbd task list", format: "json" }), "ceph rbd task list");
}

// Fencing: a blocklisted client can no longer write to the cluster (for a very long time:
// undone only by an admin, as a host declared dead must not come back unnoticed).
// Only a single client's address: the command also takes ranges, and what reaches it comes from
// records in the SR.
export async function blocklistAdd(c: ClusterRef, log: Logger, address: string): Promise<void> {
  if (!isEntityAddr(address)) throw new Error(`refusing to blocklist ${JSON.stringify(address)}: not a Ceph client address`);
  await ceph(c, log, ["osd", "blocklist", "add", address, "157784760"]);
}
