// The SR's queued mgr tasks (flatten, trash purge): listed for `gc status`, and followed to the
// end after `gc run` with a progress bar per task on a terminal, nothing otherwise. Bounded, so a
// stuck task cannot hold the admin forever. With CEPH_RBD_GC_MGR=off the mgr is never asked; an
// mgr that does not answer costs its own timeout (CEPH_RBD_MGR_TIMEOUT) once, and says so.
import { taskList } from "../../plugins/ceph/mon.js";
import type { TaskList } from "../../plugins/ceph/outputs.js";
import { setting, SETTINGS } from "../../plugins/settings.js";
import type { Sr } from "../meta/store.js";

export interface SrTasks {
  tasks: TaskList;
  // Why the tasks are not known, when they are not.
  unknown?: string;
}

export async function srTasks(sr: Sr): Promise<SrTasks> {
  if (setting("gcMgr") === "off") return { tasks: [], unknown: `the mgr is not asked (${SETTINGS.gcMgr.env}=off)` };
  try {
    const all = await taskList(sr.place.cluster, sr.log);
    return { tasks: all.filter((t) => t.refs.pool_name === sr.place.pool && t.refs.pool_namespace === sr.place.namespace) };
  } catch (e) {
    return { tasks: [], unknown: (e as Error).message };
  }
}

const bar = (p: number) => `[${"#".repeat(Math.round(p * 30)).padEnd(30, ".")}] ${String(Math.round(p * 100)).padStart(3)}%`;

export async function watchTasks(sr: Sr, json: boolean, limitMs = 30 * 60_000): Promise<void> {
  const tty = process.stderr.isTTY && !json;
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const { tasks: mine, unknown } = await srTasks(sr);
    if (unknown) sr.log.warning(`not following the mgr's tasks: ${unknown}`);
    if (tty)
      process.stderr.write(`\x1b[2K\r${mine.map((t) => `${t.refs.action} ${t.refs.image_name ?? t.refs.image_id ?? ""} ${bar(t.progress ?? 0)}`).join("  ")}`);
    if (mine.length === 0 || Date.now() > giveUp) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  if (tty) process.stderr.write("\x1b[2K\r");
}
