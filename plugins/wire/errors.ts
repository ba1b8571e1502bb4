// The closed set of errors a verb may raise. Everything that crosses the verb boundary is one
// of these; anything else is a bug and is reported as Internal_error by the runtime.
//
// xapi reads only `code` and `params` (spec 3.2) and shows them to XenAPI clients verbatim.
// The IDL's named errors are not transported as such: by the Python library's convention they
// travel as code SR_BACKEND_FAILURE with params [<ErrorName>, <argument>].

export abstract class SmapiError extends Error {
  abstract readonly code: string;
  abstract readonly params: readonly string[];
}

const BACKEND = "SR_BACKEND_FAILURE";

// An IDL-declared error or one of ours, by the Python convention.
abstract class NamedError extends SmapiError {
  readonly code = BACKEND;
  get params(): readonly string[] {
    return [this.name, this.detail];
  }
  constructor(
    readonly detail: string,
    message?: string,
  ) {
    super(message ?? detail);
  }
}

export class Volume_does_not_exist extends NamedError {
  override name = "Volume_does_not_exist";
}
export class SR_does_not_exist extends NamedError {
  override name = "SR_does_not_exist";
}
export class Sr_not_attached extends NamedError {
  override name = "Sr_not_attached";
}
export class Unimplemented extends NamedError {
  override name = "Unimplemented";
}
export class Cancelled extends NamedError {
  override name = "Cancelled";
}
// params must be exactly [name, host uuid]: xapi redirects VDI.snapshot on that shape.
export class Activated_on_another_host extends NamedError {
  override name = "Activated_on_another_host";
}

// Bad input caught at the edge, before any work.
export class Invalid_parameters extends NamedError {
  override name = "Invalid_parameters";
}
// Well-formed input that the SR cannot honour (a size beyond RBD's limit, a snapshot written to).
export class Invalid_request extends NamedError {
  override name = "Invalid_request";
}
// Volume.list_changed_blocks cannot list every block changed between the two volumes (the chain
// between them is broken: CBT off at either end or in between, a revert, a clone, another disk,
// or the two in the wrong order). A consumer falls back to a full backup: Xen Orchestra's
// NBD+CBT export does on any error of the call (@xen-orchestra/xapi/disks/Xapi.mjs, #openNbdCbt).
export class CBT_chain_broken extends NamedError {
  override name = "CBT_chain_broken";
}
// Another process holds the volume or SR lock beyond the bounded wait.
export class Busy extends NamedError {
  override name = "Busy";
}
// Ceph answered with an error; detail keeps the command's own words (stderr, secrets scrubbed).
export class Ceph_error extends NamedError {
  override name = "Ceph_error";
}
// The cluster did not answer within the bound.
export class Ceph_unreachable extends NamedError {
  override name = "Ceph_unreachable";
}
// A bug in this plugin (including a result that fails its own schema).
export class Internal_error extends NamedError {
  override name = "Internal_error";
}

// A XenAPI error code xapi already knows, for cases where xapi has its own logic or message.
export class XenApiError extends SmapiError {
  constructor(
    readonly code: string,
    readonly params: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const shrinkRefused = (from: number, to: number): XenApiError =>
  new XenApiError("SR_BACKEND_FAILURE_79", ["VDI Invalid size", "shrinking not allowed"], `cannot shrink from ${from} to ${to} bytes`);

export const srNotEmpty = (count: number): XenApiError => new XenApiError("SR_NOT_EMPTY", [], `the SR still holds ${count} volume(s); destroy them first`);

export const isSmapiError = (e: unknown): e is SmapiError => e instanceof SmapiError;

// A volume that a datapath has active (XCP-ng's "VDIInUse", SR_BACKEND_FAILURE_24, which its
// SMAPIv1 and SMAPIv3 drivers raise and XenCenter names): the second param, shown to the admin
// verbatim, says where it is active and what to do.
export const volumeInUse = (key: string, host: string, what: string): XenApiError =>
  new XenApiError(
    "SR_BACKEND_FAILURE_24",
    ["VDIInUse", `volume ${key} is active on host ${host}; deactivate it before ${what} (a dead host: ceph-rbd-admin fence)`],
    `volume ${key} is active on host ${host}`,
  );

// A lock this operation held was lost before its work was done (its lease ran out while the
// process was stalled, or another host broke it): the operation stops before its next write, and
// whoever holds the lock now finishes or rolls back what it left.
export class Lock_lost extends NamedError {
  override name = "Lock_lost";
}

// Volume.resize of an active volume that its datapath cannot show grown to the guest (XCP-ng's
// "VDIInUse" as above, so xapi and XenCenter name it): nothing has changed, and the second
// param says why and what the admin can do.
export const onlineResizeRefused = (key: string, host: string, why: string): XenApiError =>
  new XenApiError(
    "SR_BACKEND_FAILURE_24",
    ["VDIInUse", `volume ${key} is active on host ${host} and cannot grow while it runs: ${why}; shut the VM down (or unplug the disk) and resize it then`],
    `volume ${key} cannot be resized online: ${why}`,
  );
