// The environments the bench's children start with: the plugins' (xapi-storage-script's) and the
// set-up scripts'.
import { randomUUID } from "node:crypto";
import { dirname } from "node:path";
import { cluster, tree } from "./state.mjs";

const HOST_UUID = randomUUID();

// The environment every child starts from: the one xapi-storage-script gives its plugins (spec
// section 3: its systemd unit's, i.e. systemd's PATH and OCAMLRUNPARAM=b), not the shell's that
// started the bench. A shell's variables can change what is measured: this build machine's
// NODE_EXTRA_CA_CERTS makes every Node start parse a certificate bundle (measured: `node -e 0`
// 57 ms with it, 24 ms without). The Node running the bench stays the one on PATH.
const SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const nodeDir = dirname(process.execPath);
const XSS_ENV = {
  PATH: SYSTEMD_PATH.split(":").includes(nodeDir) ? SYSTEMD_PATH : `${nodeDir}:${SYSTEMD_PATH}`,
  OCAMLRUNPARAM: "b",
  ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
};

// The environment of every child: xapi-storage-script's, the cluster's conf, a private run
// directory and host identity, no GC worker started behind our back (SR.attach starts none with
// CEPH_RBD_GC=off), no syslog. With a cluster of the caller's, its Ceph variables are passed on
// (CEPH_KEYRING, CEPH_ARGS, CEPH_CLIENT_ID); with a throwaway cluster they are not: Ceph reads
// them from the environment, and a caller's would beat the conf's keyring.
const CALLER_CEPH = ["CEPH_KEYRING", "CEPH_ARGS", "CEPH_CLIENT_ID"];
export function childEnv(extra = {}) {
  const caller = cluster.throwaway ? {} : Object.fromEntries(CALLER_CEPH.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  return {
    ...XSS_ENV,
    ...caller,
    ...(cluster.conf ? { CEPH_CONF: cluster.conf } : {}),
    CEPH_RBD_GC: "off",
    CEPH_RBD_LOG_SYSLOG: "off",
    CEPH_RBD_LOG_STDERR: "info",
    ...(tree.runDir ? { CEPH_RBD_RUN_DIR: tree.runDir } : {}),
    CEPH_RBD_TEST_MODE: "1",
    CEPH_RBD_HOST_UUID: HOST_UUID,
    ...extra,
  };
}

// ceph-local.sh (set-up, not measured) gets the caller's environment, for its CEPH_LOCAL_*
// settings, less the caller's Ceph variables.
export const setupEnv = (extra) => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !CALLER_CEPH.includes(k))), ...extra });

// What the verbs log with when xapi runs them: their own defaults, stderr at info and SMlog
// (syslog) at debug. The topics that time verb start-up use it: a verb's logging is part of its
// cost (a syslog line costs a verb without the session service a `logger` process).
export const XAPI_LOGGING = { CEPH_RBD_LOG_STDERR: "info", CEPH_RBD_LOG_SYSLOG: "debug" };
