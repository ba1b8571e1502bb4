# The session service's librados clients (ceph-session-service.py): one per cluster identity
# (conf path, user, keyring path, mon_host, and the verb's timeouts, so that every verb keeps its
# own deadlines), shared by every verb of the host.
#
# A connection (one verb's) is pinned to the client it first used for each identity, for as long
# as it lasts: the advisory locks a verb takes belong to the librados client that took them, and
# its later writes assert them through that same client (holds.ts). A client is replaced for new
# connections when its ceph.conf or keyring changed on disk (mtime, inode, size), or when Ceph
# shut it out (ESHUTDOWN: blocklisted); a replaced client ends once no connection is pinned to it.
import os
import threading

from ceph_rbd_session_connect import Session

FIELDS = ("conf", "user", "keyring", "mon_host", "connect_timeout", "op_timeout", "mgr_timeout")
# Ceph's answer to a client it has shut out (blocklisted, or shut down): only a new one helps.
ESHUTDOWN = 108


def identity(cfg):
    return tuple(str(cfg.get(f, "")) for f in FIELDS)


def stamp(cfg):
    out = []
    for path in (cfg.get("conf"), cfg.get("keyring")):
        try:
            st = os.stat(path) if path else None
            out.append((st.st_mtime_ns, st.st_ino, st.st_size) if st else None)
        except OSError:
            out.append(None)
    return tuple(out)


class Client(object):
    def __init__(self, key, cfg, generation):
        self.key = key
        self.session = Session(cfg)
        self.stamp = stamp(cfg)
        self.generation = generation
        self.users = 0
        self.retired = False


class Clients(object):
    def __init__(self):
        self.lock = threading.Lock()
        self.current = {}
        self.generation = 0

    # The client for a connection's first request under this identity.
    def pin(self, cfg):
        key = identity(cfg)
        with self.lock:
            c = self.current.get(key)
            if c is not None and c.stamp != stamp(cfg):
                self._retire(c)
                c = None
            if c is None:
                self.generation += 1
                c = Client(key, dict(cfg), self.generation)
                self.current[key] = c
            c.users += 1
            return c

    def unpin(self, c):
        with self.lock:
            c.users -= 1
            if c.retired and c.users == 0:
                shut_down(c)

    # After a failure that only a new client cures: the next connections get one.
    def failed(self, c, errno):
        if errno == ESHUTDOWN:
            with self.lock:
                self._retire(c)

    def _retire(self, c):
        if self.current.get(c.key) is c:
            del self.current[c.key]
        c.retired = True
        if c.users == 0:
            shut_down(c)

    # What `ceph-rbd-admin service status` shows: paths and names, never a secret.
    def describe(self):
        with self.lock:
            return [
                {"conf": c.key[0], "user": c.key[1], "keyring": c.key[2], "mon_host": c.key[3], "generation": c.generation, "connections": c.users, "connected": c.session.cluster is not None}
                for c in self.current.values()
            ]


def shut_down(c):
    for cluster in (c.session.cluster, c.session.mgr_cluster):
        if cluster is not None:
            threading.Thread(target=cluster.shutdown, daemon=True).start()
