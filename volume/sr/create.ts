// SR.create: an SR is an RBD namespace in the configured pool, plus the metadata object in it.
import { CephError } from "../../plugins/ceph/errors.js";
import { namespaceCreate } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { Invalid_parameters, Invalid_request } from "../../plugins/wire/errors.js";
import { SrCreate } from "../../plugins/wire/verbs.js";
import { K, parseSrState, type SrConfig } from "../meta/layout.js";
import { put, readEntries, update } from "../meta/store.js";
import { DEFAULT_FEATURES, formatDeviceConfig, parseDeviceConfig, type DeviceConfig } from "./config.js";
import { srOfConfig } from "./open.js";

export default defineVerb(SrCreate, async (p, ctx) => {
  const given = parseDeviceConfig(p.configuration);
  if (given.sr_uuid && given.sr_uuid !== p.uuid) throw new Invalid_parameters(`device-config sr_uuid ${given.sr_uuid} is not the SR's uuid ${p.uuid}`);
  const c: DeviceConfig = { ...given, sr_uuid: p.uuid, namespace: given.namespace ?? `sr-${p.uuid}` };
  const sr = srOfConfig(ctx, c);
  try {
    await namespaceCreate(sr.place, sr.log);
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
  await update(sr, { [K.name]: p.name, [K.description]: p.description }, []);
  const config: SrConfig = { version: 1, uuid: p.uuid, features: [...(c.image_features ?? DEFAULT_FEATURES)], created: new Date().toISOString() };
  // Written last: its presence is what makes the SR complete (SR.probe, SR.attach).
  await put(sr, K.config, JSON.stringify(config));
  return formatDeviceConfig(c);
});
