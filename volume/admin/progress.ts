// Follows the SR's queued mgr tasks (flatten, trash purge) to the end: a progress bar per task
// on a terminal, nothing otherwise. Bounded, so a stuck task cannot hold the admin forever.
import { taskList } from "../../plugins/ceph/mon.js";
import type { Sr } from "../meta/store.js";

const bar = (p: number) => `[${"#".repeat(Math.round(p * 30)).padEnd(30, ".")}] ${String(Math.round(p * 100)).padStart(3)}%`;

export async function watchTasks(sr: Sr, json: boolean, limitMs = 30 * 60_000): Promise<void> {
  const tty = process.stderr.isTTY && !json;
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const mine = (await taskList(sr.place.cluster, sr.log).catch(() => [])).filter(
      (t) => t.refs.pool_name === sr.place.pool && t.refs.pool_namespace === sr.place.namespace,
    );
    if (tty)
      process.stderr.write(`\x1b[2K\r${mine.map((t) => `${t.refs.action} ${t.refs.image_name ?? t.refs.image_id ?? ""} ${bar(t.progress ?? 0)}`).join("  ")}`);
    if (mine.length === 0 || Date.now() > giveUp) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  if (tty) process.stderr.write("\x1b[2K\r");
}
