// SR.attach: read-only, so any number of hosts may attach at once. It starts this host's GC
// worker for the SR and returns the `sr` string every later call carries (sr-place.ts).
import { defineVerb } from "../../plugins/runtime/verb.js";
import { Invalid_request } from "../../plugins/wire/errors.js";
import { SrAttach } from "../../plugins/wire/verbs.js";
import { startWorker } from "../gc/control.js";
import { readSr } from "../meta/store.js";
import { recoverStale } from "../volume/recovery.js";
import { parseDeviceConfig } from "./config.js";
import { srOfConfig } from "./open.js";
import { formatSrPlace } from "./sr-place.js";

export default defineVerb(SrAttach, async (p, ctx) => {
  const c = parseDeviceConfig(p.configuration);
  const sr = srOfConfig(ctx, c);
  const state = await readSr(sr);
  const { config } = state;
  if (state.ops.size > 0) await recoverStale(sr, state);
  if (c.sr_uuid && c.sr_uuid !== config.uuid) throw new Invalid_request(c.sr_uuid, `namespace ${sr.place.namespace} holds SR ${config.uuid}, not ${c.sr_uuid}`);
  const ref = formatSrPlace(sr.place);
  await startWorker(sr.place, ref, ctx.log);
  return ref;
});
