// SR.create: an SR is an RBD namespace in the configured pool, plus the metadata object in it.
import { CephError, ignoreNotFound } from "../../plugins/ceph/errors.js";
import { objectRemove } from "../../plugins/ceph/rados.js";
import { namespaceCreate, namespaceRemove } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { Invalid_parameters, Invalid_request } from "../../plugins/wire/errors.js";
import { SrCreate } from "../../plugins/wire/verbs.js";
import { K, LAYOUT_VERSION, META_OBJECT, type SrConfig } from "../meta/layout.js";
import { parseSrState } from "../meta/sr-state.js";
import { put, readEntries, update, type Sr } from "../meta/store.js";
import { DEFAULT_FEATURES, formatDeviceConfig, parseDeviceConfig, type DeviceConfig } from "./config.js";
import { srOfConfig } from "./open.js";

export default defineVerb(SrCreate, async (p, ctx) => {
  const given = parseDeviceConfig(p.configuration);
  if (given.sr_uuid && given.sr_uuid !== p.uuid) throw new Invalid_parameters(`device-config sr_uuid ${given.sr_uuid} is not the SR's uuid ${p.uuid}`);
  const c: DeviceConfig = { ...given, sr_uuid: p.uuid, namespace: given.namespace ?? `sr-${p.uuid}` };
  const sr = srOfConfig(ctx, c);
  let created = false;
  try {
    await namespaceCreate(sr.place, sr.log);
    created = true;
  } catch (e) {
    if (!(e instanceof CephError)) throw e;
    if (e.kind === "not_found") throw new Invalid_request(c.pool, `pool ${c.pool} does not exist (create it and run \`rbd pool init ${c.pool}\` first)`);
    if (e.kind !== "exists") throw e;
    // Idempotent for the same SR; refused for another one.
    const existing = await readEntries(sr);
    const config = existing && parseSrState(existing).config;
    if (config && config.uuid !== p.uuid) throw new Invalid_request(sr.place.namespace, `namespace ${sr.place.namespace} already holds SR ${config.uuid}`);
    if (config) return formatDeviceConfig(c);
  }
  try {
    await update(sr, { [K.name]: p.name, [K.description]: p.description }, []);
    const config: SrConfig = {
      version: LAYOUT_VERSION,
      uuid: p.uuid,
      features: [...(c.image_features ?? DEFAULT_FEATURES)],
      created: new Date().toISOString(),
    };
    // Written last: its presence is what makes the SR complete (SR.probe, SR.attach).
    await put(sr, K.config, JSON.stringify(config));
  } catch (e) {
    if (created) await undoCreate(sr, e as Error);
    throw e;
  }
  return formatDeviceConfig(c);
});

// A failed SR.create leaves nothing in the pool: the namespace it made goes, with what it wrote
// into it. Its own failure is logged, and the create's failure is the one reported.
async function undoCreate(sr: Sr, why: Error): Promise<void> {
  try {
    await ignoreNotFound(objectRemove(sr.place, sr.log, META_OBJECT));
    await namespaceRemove(sr.place, sr.log);
  } catch (e) {
    sr.log.error(`SR.create failed (${why.message}) and could not remove namespace ${sr.place.namespace} it made: ${(e as Error).message}`);
  }
}
