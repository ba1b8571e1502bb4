// The floor of a warm Volume.stat with the checks the project requires of every verb, and no
// more: its params (zod, at the edge), the SR's URI (untrusted: the device-config's schema), the
// volume's entries read back from Ceph (untrusted: the records' schemas), and its result; the
// same omap read the verb makes and the same record it answers. No logging, no deadline, no
// fallback, no error mapping: what the product's verb adds on top is the rest of its cost.
// "op" prints the operation instead (bare.ts takes it from there).
import { sessionConfig } from "../../../plugins/ceph/cluster.js";
import { serviceVersion, socketPath } from "../../../plugins/ceph/service-paths.js";
import { VolumeStat } from "../../../plugins/wire/verbs.js";
import { META_OBJECT, volumeReads } from "../../../volume/meta/layout.js";
import { parseSrState } from "../../../volume/meta/sr-state.js";
import { parseSrPlace } from "../../../volume/sr/sr-place.js";
import { toWireVolume } from "../../../volume/volume/record.js";
import { readStdin } from "../../../plugins/runtime/stdin.js";
import { ask, print } from "./transport.js";

export async function main(mode: "checked" | "op"): Promise<void> {
  const p = VolumeStat.params.parse(JSON.parse(await readStdin()));
  const place = parseSrPlace(p.sr);
  const { keys, prefixes } = volumeReads([p.key]);
  const op = { client: sessionConfig(place.cluster), req: { op: "omap_read", pool: place.pool, ns: place.namespace, obj: META_OBJECT, keys, prefixes } };
  if (mode === "op") return print(op);
  const state = parseSrState(new Map((await ask(socketPath(), serviceVersion(), op)) as Array<[string, string]>));
  const volume = state.volumes.get(p.key);
  if (!volume) throw new Error(`no volume ${p.key}`);
  print(VolumeStat.result.parse(toWireVolume(place, volume, state.usage.get(p.key) ?? 0)));
}
