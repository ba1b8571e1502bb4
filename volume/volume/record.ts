// The one builder of the wire `volume` record, from the SR's metadata alone (no image is opened:
// this runs for every volume on SR.ls).
import type { Volume } from "../../plugins/wire/records.js";
import { formatVolumeUri, SCHEMES, type Scheme } from "../../plugins/wire/volume-uri.js";
import type { VolumeState } from "../meta/sr-state.js";
import type { SrPlace } from "../sr/sr-place.js";

// The SR's preferred datapath first: xapi-storage-script takes the first scheme it serves.
const schemesFor = (preferred: Scheme): Scheme[] => [preferred, ...SCHEMES.filter((s) => s !== preferred)];

export function toWireVolume(place: SrPlace, v: VolumeState, usage: number): Volume {
  const r = v.record;
  return {
    key: v.key,
    uuid: r.uuid,
    name: v.name,
    description: v.description,
    read_write: r.snap === undefined,
    sharable: r.sharable,
    virtual_size: r.size,
    physical_utilisation: usage,
    // A data-destroyed snapshot has nothing to attach: xapi attaches no `cbt_metadata` VDI.
    uri: r.dataDestroyed
      ? []
      : schemesFor(place.datapath).map((scheme) =>
          formatVolumeUri({ scheme, cluster: place.cluster, pool: place.pool, namespace: place.namespace, image: r.image, key: v.key, snap: r.snap }),
        ),
    keys: { ...v.keys },
    volume_type: r.dataDestroyed ? "CBT_Metadata" : "Data",
    cbt_enabled: r.cbt !== undefined,
  };
}
