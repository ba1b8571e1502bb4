// The rbd datapath: kernel RBD. Attach maps the image (or finds this host's existing mapping),
// after fitting the image's features to what this kernel can map, as Proxmox and ceph-csi do;
// detach unmaps. A host without kernel RBD gets a clear error at once.
import { isEntityAddr } from "../plugins/wire/entity-addr.js";
import { clientAddress, deviceList, deviceMap, deviceUnmap, featureDisable, featuresToDisable, kernelFeatures, mappingClient } from "../plugins/ceph/krbd.js";
import { imageInfo } from "../plugins/ceph/rbd.js";
import { watchersOf } from "../plugins/ceph/watchers.js";
import { Invalid_request } from "../plugins/wire/errors.js";
import type { Backend } from "../plugins/wire/records.js";
import type { Target } from "./target.js";

const mapped = async (t: Target): Promise<string | undefined> =>
  (await deviceList(t.place, t.log)).find(
    (d) => d.pool === t.place.pool && (d.namespace ?? "") === t.place.namespace && d.name === t.image && (d.snap ?? "-") === (t.snap ?? "-"),
  )?.device;

export async function attachKrbd(t: Target): Promise<Backend> {
  const supported = kernelFeatures();
  if (supported === undefined) {
    throw new Invalid_request(
      "rbd",
      "kernel RBD is not available on this host (no rbd module in /sys/bus/rbd): use the rbd+nbd datapath (device-config datapath=rbd+nbd)",
    );
  }
  let device = await mapped(t);
  if (device === undefined) {
    const { disable, impossible } = featuresToDisable((await imageInfo(t.place, t.log, t.image)).features, supported);
    if (impossible.length > 0) throw new Invalid_request(t.image, `this kernel cannot map images with ${impossible.join(", ")}`);
    if (disable.length > 0 && !t.snap) {
      t.log.warning(`disabling ${disable.join(", ")} on ${t.image}: this host's kernel RBD cannot map them`);
      await featureDisable(t.place, t.log, t.image, disable);
    }
    device = await deviceMap(t.place, t.log, t.image, t.snap);
  }
  return {
    implementations: [
      ["XenDisk", { params: device, extra: {}, backend_type: "vbd" }],
      ["BlockDevice", { path: device }],
    ],
  };
}

// This host's own client of the image: its mapping's, never the image's other watchers (after a
// live migration the source host's mapping may still watch it; deactivate does not unmap).
export async function krbdClients(t: Target): Promise<string[]> {
  const device = await mapped(t);
  if (device === undefined) throw new Invalid_request(t.image, `${t.image} is not mapped on this host: attach it first`);
  const client = mappingClient(device);
  const address = clientAddress(client, client.address !== undefined && isEntityAddr(client.address) ? [] : await watchersOf(t.place, t.log, t.image));
  if (address === undefined) throw new Invalid_request(t.image, `the kernel client client.${client.id} of ${device} does not watch ${t.image}`);
  return [address];
}

export async function detachKrbd(t: Target): Promise<void> {
  const device = await mapped(t);
  if (device !== undefined) await deviceUnmap(t.place, t.log, device);
}
