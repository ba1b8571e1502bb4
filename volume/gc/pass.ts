// One GC pass over an SR: look, plan, act. Safe to run from any host at any time (the worker
// holds the SR's "gc" lock so that only one runs per SR); every action is idempotent.
import { CephError } from "../../plugins/ceph/errors.js";
import { Lock_lost } from "../../plugins/wire/errors.js";
import { clusterHealth } from "../../plugins/ceph/mon.js";
import type { Health as CephHealth } from "../../plugins/ceph/outputs.js";
import type { Sr, SrRead } from "../meta/store.js";
import { survey } from "./survey.js";
import type { ViewUse } from "./image-view.js";
import { refreshSome } from "../volume/usage.js";
import { recoverStale } from "../volume/recovery.js";
import { healthOf } from "../sr/pool-stat.js";
import { applyAction, type ApplyOptions } from "./apply.js";
import { limits } from "./limits.js";
import { type Action, HEAVY, imageFacts, makePlan, type Plan, type Waiting } from "./plan.js";

export async function look(sr: Sr, use: ViewUse = "look"): Promise<{ plan: Plan; state: SrRead }> {
  const { state, list, trash } = await survey(sr, use);
  return { plan: makePlan(state, imageFacts(list), trash, limits()), state };
}

export interface PassReport {
  readonly plan: Plan;
  readonly done: string[];
  readonly failed: string[];
  readonly paused?: string;
  readonly recovered: number;
}

// Volumes whose physical_utilisation each pass measures again (one librbd diff each).
const USAGE_BATCH = 16;

// Slow requests are not data loss, but heavy work would make them worse.
const SLOW = /SLOW_OPS|REQUEST_SLOW|OSD_SLOW/;

// Why heavy work (flatten, purge) must wait, if it must.
export function pauseReason(h: CephHealth): string | undefined {
  const [status, reason] = healthOf(h);
  const slow = Object.keys(h.checks).filter((c) => SLOW.test(c));
  if (status !== "Healthy") return `cluster not healthy: ${reason}`;
  if (slow.length > 0) return `slow requests on the cluster: ${slow.join(", ")}`;
  return undefined;
}

// Flattens handed to the mgr go first: they run in the background while the pass does the rest.
// (A flatten never concerns an image that another action of the same pass changes: flattens are
// of live volumes, reclaims and trash moves of tombstones.) Done here by the GC itself, a flatten
// waits for the quick actions, which free space at once.
const handOffFirst = (actions: readonly Action[], opts: ApplyOptions): readonly Action[] =>
  opts.mgr ? [...actions.filter((a) => a.kind === "flatten"), ...actions.filter((a) => a.kind !== "flatten")] : actions;

export async function runPass(sr: Sr, opts: ApplyOptions): Promise<PassReport> {
  // Asked at once, waited for only if the plan has heavy work: a Python CLI start, often a
  // second, off the pass's path.
  const health = clusterHealth(sr.place.cluster, sr.log);
  health.catch(() => undefined);
  let { plan, state } = await look(sr, "pass");
  // What dead processes left is finished first, so that this pass collects behind it.
  const recovered = await recoverStale(sr, state);
  if (recovered > 0) ({ plan, state } = await look(sr, "pass"));
  const paused = plan.actions.some((a) => HEAVY.has(a.kind)) ? pauseReason(await health) : undefined;
  const done: string[] = [];
  const failed: string[] = [];
  const deferred: Waiting[] = [];
  // An image some action failed on is not moved to the trash in the same pass: a snapshot whose
  // removal failed would go with it, out of reach of the plan, and hold its purge for ever.
  const troubled = new Set<string>();
  for (const action of handOffFirst(plan.actions, opts)) {
    if (paused && HEAVY.has(action.kind)) continue;
    if (action.kind === "trash-move" && troubled.has(action.image)) continue;
    try {
      done.push(await applyAction(sr, action, opts));
    } catch (e) {
      // The pass's lease is over: it stops here, its remaining actions left to the next pass.
      if (e instanceof Lock_lost) throw e;
      // A trashed image whose snapshot is still held by a clone that this pass has just queued
      // for purge: a reclaimed clone whose snapshots are gone names its parent nowhere, yet keeps
      // its hold until it is removed itself, which the mgr does after this check. Retried next pass.
      if (action.kind === "trash-purge" && e instanceof CephError && e.kind === "not_empty") {
        deferred.push({ item: action.name, why: "in the trash, a snapshot of it still held by a clone being collected; retried next pass" });
        continue;
      }
      if ("image" in action) troubled.add(action.image);
      failed.push(`${action.kind} ${"image" in action ? action.image : "entry" in action ? action.entry : action.name}: ${(e as Error).message}`);
    }
  }
  const measured = await refreshSome(sr, state, USAGE_BATCH);
  if (measured > 0) done.push(`measured the usage of ${measured} volume(s)`);
  for (const d of done) sr.log.info(`gc: ${d}`);
  for (const f of failed) sr.log.warning(`gc: ${f}`);
  return { plan: deferred.length > 0 ? { ...plan, waiting: [...plan.waiting, ...deferred] } : plan, done, failed, recovered, ...(paused ? { paused } : {}) };
}
