// How to reach a cluster: what the device-config names, turned into CLI arguments. Secrets
// never travel here: a keyring is a path, read by the Ceph tools themselves.
import type { Logger } from "../log.js";
import { setting } from "../settings.js";

export interface ClusterRef {
  readonly conf: string;
  readonly user: string;
  readonly keyring?: string | undefined;
  readonly monHost?: string | undefined;
}

// Where an RBD image or RADOS object lives. The project's one name for it: every handle that
// acts somewhere (an SR, a datapath's volume) carries one as `place`.
export interface Place {
  readonly cluster: ClusterRef;
  readonly pool: string;
  readonly namespace: string;
}

// Work at a place, logging as the verb that does it.
export interface AtPlace {
  readonly place: Place;
  readonly log: Logger;
}

// xapi has no timeout of its own: every call is bounded here. Connect, then each op, then the
// whole CLI process (a margin above both, for its start and a client stuck outside librados),
// and each request to the librados session (a smaller margin: the process is running already;
// what the op timeouts miss is librbd waiting on a dead OSD, e.g. a snapshot's notifications).
export const timeouts = () => {
  const connect = setting("connectTimeout");
  const op = setting("opTimeout");
  return { connect, op, mgr: setting("mgrTimeout"), deadlineMs: (connect + op + 15) * 1000, sessionMs: (connect + op + 5) * 1000 };
};

// What a librados session (ceph-session.py, or the session service for one client) connects
// with: the identity (paths and names, no secret) and the bounds.
export function sessionConfig(c: ClusterRef) {
  const t = timeouts();
  return { conf: c.conf, user: c.user, keyring: c.keyring ?? "", mon_host: c.monHost ?? "", connect_timeout: t.connect, op_timeout: t.op, mgr_timeout: t.mgr };
}

export function identityArgs(c: ClusterRef): string[] {
  const args = ["--conf", c.conf, "--id", c.user];
  if (c.keyring) args.push("--keyring", c.keyring);
  if (c.monHost) args.push("--mon-host", c.monHost);
  return args;
}

// rbd and rados (C++ librados clients).
export function clientArgs(c: ClusterRef): string[] {
  const t = timeouts();
  return [...identityArgs(c), "--client-mount-timeout", String(t.connect), "--rados-osd-op-timeout", String(t.op), "--rados-mon-op-timeout", String(t.op)];
}

// The ceph CLI (Python) has its own connect bound.
export function monArgs(c: ClusterRef): string[] {
  return [...identityArgs(c), "--connect-timeout", String(timeouts().connect)];
}
