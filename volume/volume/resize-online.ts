// Growing a volume that a datapath has active (VDI_RESIZE_ONLINE). xapi runs VDI.resize and
// VDI.resize_online alike on the SR master (message_forwarding.ml: forward_vdi_op, then
// forward_sr_op on the shared SR's first PBD, the master's), and xapi-storage-script calls
// Volume.resize then Volume.stat and no datapath verb (main.ml, vdi_resize_impl): whatever the
// running datapath must do, this verb does, from whichever host it runs on.
//
// - Kernel RBD: the mapping watches the image header and takes the new size itself; Xen's
//   blkback sees its device grow and writes the new "sectors" to xenstore with the state
//   Connected, so the guest's blkfront resizes its disk online (xen-blkback xen_vbd_resize).
// - The NBD export: see plugins/ceph/qsd-grow.ts. It can grow only on the host it runs on (its
//   monitor is a private socket there) and only while no client is connected, since NBD cannot
//   tell a connected client of a new size. A refusal comes before any change.
import { ExportInUse, exportOf, growExport } from "../../plugins/ceph/qsd-grow.js";
import { hostId } from "../../plugins/host-id.js";
import { onlineResizeRefused } from "../../plugins/wire/errors.js";
import type { Activation } from "../../plugins/wire/sr-object.js";
import type { VolumeRecord } from "../meta/layout.js";
import type { Sr } from "../meta/store.js";

// What growing the image takes while `a` holds it, or the refusal, decided before any change.
export function onlineGrower(sr: Sr, key: string, record: VolumeRecord, a: Activation, size: number): (grow: () => Promise<void>) => Promise<void> {
  const refuse = (why: string) => onlineResizeRefused(key, a.host, why);
  if (a.scheme === "rbd") return (grow) => grow();
  if (a.scheme !== "rbd+nbd") throw refuse(`its activation record names no datapath this plugin knows (${JSON.stringify(a.scheme)})`);
  if (record.sharable) throw refuse("it is sharable, so NBD exports of it may run on several hosts, and only one is recorded");
  if (a.host !== hostId())
    throw refuse(`its rbd+nbd export runs on that host, and only there can it grow (this host, ${hostId()}, runs the SR's resizes as xapi's pool master)`);
  return async (grow) => {
    try {
      if (!(await growExport(exportOf(sr.place, key), size, sr.log, grow))) await grow();
    } catch (e) {
      if (e instanceof ExportInUse)
        throw refuse(`a client (the VM's Xen backend) is connected to its NBD export, and NBD cannot tell a connected client of a new size (${e.message})`);
      throw e;
    }
  };
}
