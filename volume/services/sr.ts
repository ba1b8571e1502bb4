// SR verbs: an SR is an RBD namespace in the configured pool, plus the metadata object in it.
import { CephError } from "../../plugins/ceph/errors.js";
import { objectRemove } from "../../plugins/ceph/rados.js";
import { namespaceCreate, namespaceRemove } from "../../plugins/ceph/rbd.js";
import type { Context } from "../../plugins/runtime/verb.js";
import { Invalid_parameters, Invalid_request, srNotEmpty } from "../../plugins/wire/errors.js";
import type { SrStat, Volume } from "../../plugins/wire/records.js";
import { K, META_OBJECT, type SrConfig } from "../meta/layout.js";
import { SR_LOCK } from "../../plugins/wire/sr-object.js";
import { put, readEntries, readSr, type Sr, update } from "../meta/store.js";
import { DEFAULT_FEATURES, formatDeviceConfig, parseDeviceConfig, type DeviceConfig } from "./config.js";
import { withLock } from "../../plugins/ceph/locks.js";
import { purgeNamespace } from "./purge.js";
import { toWireVolume } from "./record.js";
import { formatSrRef, srRefOf } from "./sr-ref.js";
import { startWorker, stopWorker } from "../gc/control.js";
import { clusterStat } from "./stat.js";
import { recoverStale } from "./recovery.js";
import { usageOf } from "./usage.js";
import { openSr } from "./volumes.js";
import { parseSrState } from "../meta/layout.js";

const namespaceOf = (c: DeviceConfig): string => {
  if (c.namespace) return c.namespace;
  if (c.sr_uuid) return `sr-${c.sr_uuid}`;
  throw new Invalid_parameters("device-config needs sr_uuid or namespace (as SR.create returned them)");
};

export async function createSr(
  ctx: Context,
  p: { uuid: string; configuration: Record<string, string>; name: string; description: string },
): Promise<Record<string, string>> {
  const given = parseDeviceConfig(p.configuration);
  if (given.sr_uuid && given.sr_uuid !== p.uuid) throw new Invalid_parameters(`device-config sr_uuid ${given.sr_uuid} is not the SR's uuid ${p.uuid}`);
  const c: DeviceConfig = { ...given, sr_uuid: p.uuid, namespace: given.namespace ?? `sr-${p.uuid}` };
  const sr: Sr = { ref: srRefOf(c, namespaceOf(c)), log: ctx.log };
  try {
    await namespaceCreate(sr.ref, sr.log);
  } catch (e) {
    if (!(e instanceof CephError)) throw e;
    if (e.kind === "not_found") throw new Invalid_request(c.pool, `pool ${c.pool} does not exist (create it and run \`rbd pool init ${c.pool}\` first)`);
    if (e.kind !== "exists") throw e;
    // Idempotent for the same SR; refused for another one.
    const existing = await readEntries(sr);
    const config = existing && parseSrState(existing).config;
    if (config && config.uuid !== p.uuid) throw new Invalid_request(sr.ref.namespace, `namespace ${sr.ref.namespace} already holds SR ${config.uuid}`);
    if (config) return formatDeviceConfig(c);
  }
  await update(sr, { [K.name]: p.name, [K.description]: p.description }, []);
  const config: SrConfig = { version: 1, uuid: p.uuid, features: [...(c.image_features ?? DEFAULT_FEATURES)], created: new Date().toISOString() };
  // Written last: its presence is what makes the SR complete (SR.probe, SR.attach).
  await put(sr, K.config, JSON.stringify(config));
  return formatDeviceConfig(c);
}

// Read-only, so any number of hosts may attach at once.
export async function attachSr(ctx: Context, p: { configuration: Record<string, string> }): Promise<string> {
  const c = parseDeviceConfig(p.configuration);
  const sr: Sr = { ref: srRefOf(c, namespaceOf(c)), log: ctx.log };
  const state = await readSr(sr);
  const { config } = state;
  if (state.ops.size > 0) await recoverStale(sr, state);
  if (c.sr_uuid && c.sr_uuid !== config.uuid) throw new Invalid_request(c.sr_uuid, `namespace ${sr.ref.namespace} holds SR ${config.uuid}, not ${c.sr_uuid}`);
  const ref = formatSrRef(sr.ref);
  startWorker(sr.ref, ref, ctx.log);
  return ref;
}

// Nothing but this host's GC worker is held per host.
export async function detachSr(ctx: Context, p: { sr: string }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  await stopWorker(sr.ref, ctx.log);
  return null;
}

export async function lsSr(ctx: Context, p: { sr: string }): Promise<Volume[]> {
  const sr = openSr(ctx, p.sr);
  const state = await readSr(sr);
  return [...state.volumes.values()].map((v) => toWireVolume(sr.ref, v, usageOf(state, v.key)));
}

export async function statSr(ctx: Context, p: { sr: string }): Promise<SrStat> {
  const sr = openSr(ctx, p.sr);
  const sr_ = p.sr;
  const [meta, cluster] = await Promise.allSettled([readSr(sr), clusterStat(sr)]);
  if (meta.status === "rejected") {
    const e = meta.reason;
    // A cluster that does not answer is a health state xapi understands, not an error.
    if (e instanceof CephError && (e.kind === "unreachable" || e.kind === "timeout")) {
      return { sr: sr_, name: "", description: "", free_space: 0, total_space: 0, datasources: [], clustered: false, health: ["Unreachable", e.stderr] };
    }
    throw e;
  }
  if (meta.value.ops.size > 0) await recoverStale(sr, meta.value);
  const c = cluster.status === "fulfilled" ? cluster.value : undefined;
  const health: SrStat["health"] = c?.health ?? ["Unreachable", (cluster as PromiseRejectedResult).reason?.message ?? "no answer"];
  return {
    sr: sr_,
    name: meta.value.name,
    uuid: meta.value.config.uuid,
    description: meta.value.description,
    free_space: c?.free ?? 0,
    total_space: c?.total ?? 0,
    datasources: [],
    clustered: false,
    health,
  };
}

export async function setSrText(ctx: Context, p: { sr: string; field: "name" | "description"; value: string }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  await readSr(sr);
  await put(sr, p.field === "name" ? K.name : K.description, p.value);
  return null;
}

// Refused while any volume is listed; what remains (tombstones, the trash, half-done work) is
// the SR's own garbage and goes with it.
export async function destroySr(ctx: Context, p: { sr: string }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  await readSr(sr);
  await withLock(sr, SR_LOCK, async () => {
    const state = await readSr(sr);
    if (state.volumes.size > 0) throw srNotEmpty(state.volumes.size);
    await purgeNamespace(sr);
  });
  await stopWorker(sr.ref, ctx.log);
  await objectRemove(sr.ref, sr.log, META_OBJECT);
  await namespaceRemove(sr.ref, sr.log);
  return null;
}
