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
import { addTo } from "./group.js";
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

// Images whose quick actions (QUICK) run at once. Those on different images are independent (each
// is idempotent and checks what it acts on just before); at 100 tombstones a pass is mostly
// waiting on one resize or trash move after another. With 8, 100 reclaims and 50 trash moves
// took 2.2-2.5 s against 2.6-2.7 s with 4 (dev cluster, side by side).
const PARALLEL_IMAGES = 8;
const QUICK: ReadonlySet<Action["kind"]> = new Set(["reclaim", "snap-remove", "trash-move"]);

// In three turns. Flattens handed to the mgr first: they run in the background while the pass does
// the rest. Then the quick actions, each image's in plan order, PARALLEL_IMAGES images at once:
// they free space at once. Then, one at a time in plan order, what may take long or wait on
// another (flattens done by the GC itself, the trash's purges) and the entries. (A flatten never
// concerns an image that another action of the same pass changes: flattens are of live volumes,
// reclaims and trash moves of tombstones.) A pass whose lease is lost starts nothing more: what
// is in flight ends, up to PARALLEL_IMAGES actions.
async function applyAll(sr: Sr, actions: readonly Action[], opts: ApplyOptions): Promise<{ done: string[]; failed: string[]; deferred: Waiting[] }> {
  const done: string[] = [];
  const failed: string[] = [];
  const deferred: Waiting[] = [];
  let lost: Lock_lost | undefined;
  const apply = async (action: Action): Promise<boolean> => {
    try {
      done.push(await applyAction(sr, action, opts));
      return true;
    } catch (e) {
      // The pass's lease is over: it stops here, its remaining actions left to the next pass.
      if (e instanceof Lock_lost) {
        lost ??= e;
        return false;
      }
      // A trashed image whose snapshot is still held by a clone that this pass has just queued
      // for purge: a reclaimed clone whose snapshots are gone names its parent nowhere, yet keeps
      // its hold until it is removed itself, which the mgr does after this check. Retried next pass.
      if (action.kind === "trash-purge" && e instanceof CephError && e.kind === "not_empty") {
        deferred.push({ item: action.name, why: "in the trash, a snapshot of it still held by a clone being collected; retried next pass" });
        return true;
      }
      failed.push(`${action.kind} ${"image" in action ? action.image : "entry" in action ? action.entry : action.name}: ${(e as Error).message}`);
      return false;
    }
  };
  const handedOff = (a: Action) => opts.mgr && a.kind === "flatten";
  for (const a of actions) if (handedOff(a) && !lost) await apply(a);
  const byImage = new Map<string, Action[]>();
  for (const a of actions) if (QUICK.has(a.kind) && "image" in a) addTo(byImage, a.image, a);
  const queue = [...byImage.values()];
  const worker = async () => {
    for (let group = queue.shift(); group && !lost; group = queue.shift()) {
      // An image some action failed on is not moved to the trash in the same pass: a snapshot whose
      // removal failed would go with it, out of reach of the plan, and hold its purge for ever.
      let troubled = false;
      for (const a of group) {
        if (lost) break;
        if (a.kind === "trash-move" && troubled) continue;
        if (!(await apply(a))) troubled = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_IMAGES, queue.length) }, worker));
  for (const a of actions) if (!QUICK.has(a.kind) && !handedOff(a) && !lost) await apply(a);
  if (lost) throw lost;
  return { done, failed, deferred };
}

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
  const { done, failed, deferred } = await applyAll(
    sr,
    plan.actions.filter((a) => !(paused && HEAVY.has(a.kind))),
    opts,
  );
  const measured = await refreshSome(sr, state, USAGE_BATCH);
  if (measured > 0) done.push(`measured the usage of ${measured} volume(s)`);
  for (const d of done) sr.log.info(`gc: ${d}`);
  for (const f of failed) sr.log.warning(`gc: ${f}`);
  return { plan: deferred.length > 0 ? { ...plan, waiting: [...plan.waiting, ...deferred] } : plan, done, failed, recovered, ...(paused ? { paused } : {}) };
}
