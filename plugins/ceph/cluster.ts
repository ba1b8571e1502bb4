// How to reach a cluster: what the device-config names, turned into CLI arguments. Secrets
// never travel here: a keyring is a path, read by the Ceph tools themselves.
export interface ClusterRef {
  readonly conf: string;
  readonly user: string;
  readonly keyring?: string | undefined;
  readonly monHost?: string | undefined;
}

// Where an RBD image or RADOS object lives.
export interface Place {
  readonly cluster: ClusterRef;
  readonly pool: string;
  readonly namespace: string;
}

const seconds = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

// xapi has no timeout of its own: every call is bounded here. Connect, then each op, then the
// whole process (a margin above both, for a client stuck outside librados).
export const timeouts = () => {
  const connect = seconds("CEPH_RBD_CONNECT_TIMEOUT", 15);
  const op = seconds("CEPH_RBD_OP_TIMEOUT", 30);
  return { connect, op, deadlineMs: (connect + op + 15) * 1000 };
};

export function identityArgs(c: ClusterRef): string[] {
  const args = ["--conf", c.conf, "--id", c.user];
  if (c.keyring) args.push("--keyring", c.keyring);
  if (c.monHost) args.push("--mon-host", c.monHost);
  return args;
}

// rbd and rados (C++ librados clients).
export function clientArgs(c: ClusterRef): string[] {
  const t = timeouts();
  return [
    ...identityArgs(c),
    "--client-mount-timeout", String(t.connect),
    "--rados-osd-op-timeout", String(t.op),
    "--rados-mon-op-timeout", String(t.op),
  ];
}

// The ceph CLI (Python) has its own connect bound.
export function monArgs(c: ClusterRef): string[] {
  return [...identityArgs(c), "--connect-timeout", String(timeouts().connect)];
}
