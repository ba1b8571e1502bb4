# The librados session's connection to its cluster (ceph-session.py serves its requests): where
# the rados binding is found, the one connection, and the I/O contexts opened on it.
import sys
import threading

# Node starts the helper with -S: site's processing costs about 7 ms of every verb. The system's
# own package directories, where ceph-common puts the bindings, are searched instead; where they
# are elsewhere, site's processing is the fallback.
sys.path.extend(["/usr/lib/python3/dist-packages", "/usr/lib64/python%d.%d/site-packages" % sys.version_info[:2], "/usr/lib/python%d.%d/site-packages" % sys.version_info[:2]])
try:
    import rados
except ImportError:
    import site

    site.main()
    import rados


# A failure with the errno Node maps to its error kinds.
class Failure(Exception):
    def __init__(self, errno, msg):
        Exception.__init__(self, msg)
        self.errno = errno


class Session(object):
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.Lock()
        self.mgr_lock = threading.Lock()
        self.cluster = None
        self.mgr_cluster = None
        self.ioctxs = {}

    # Connects on first use, and again after a failure (a long-lived GC worker outlives a
    # monitor outage).
    def connected(self):
        with self.lock:
            if self.cluster is None:
                self.cluster = self.connect(self.cfg["op_timeout"])
            return self.cluster

    # mgr commands go through a connection of their own: librados bounds an mgr command only by
    # rados_mon_op_timeout, which on the main connection is the (long) op timeout, and an absent,
    # stopped or slow mgr must cost no more than the mgr's own short timeout.
    def mgr_connected(self):
        with self.mgr_lock:
            if self.mgr_cluster is None:
                self.mgr_cluster = self.connect(self.cfg.get("mgr_timeout", self.cfg["op_timeout"]))
            return self.mgr_cluster

    def connect(self, mon_op_timeout):
        c = self.cfg
        conf = {
            "client_mount_timeout": str(c["connect_timeout"]),
            "rados_osd_op_timeout": str(c["op_timeout"]),
            "rados_mon_op_timeout": str(mon_op_timeout),
            "rbd_default_clone_format": "2",
            # Images are opened for metadata only: no data cache to set up.
            "rbd_cache": "false",
            # How long a request proxied to the image's lock owner may wait.
            "rbd_request_timed_out_seconds": str(c["op_timeout"]),
        }
        if c.get("keyring"):
            conf["keyring"] = c["keyring"]
        if c.get("mon_host"):
            conf["mon_host"] = c["mon_host"]
        cluster = rados.Rados(conffile=c["conf"], rados_id=c["user"], conf=conf)
        try:
            cluster.connect(timeout=int(c["connect_timeout"]))
        except Exception as e:
            cluster.shutdown()
            # Whatever errno the binding chose (ENOENT for a missing keyring...), the
            # cluster is out of reach: no answer about any object.
            raise Failure(108, "cannot connect to the cluster: %s" % e)
        return cluster

    def ioctx(self, pool, ns):
        cluster = self.connected()
        with self.lock:
            io = self.ioctxs.get((pool, ns))
            if io is None:
                io = cluster.open_ioctx(pool)
                io.set_namespace(ns)
                self.ioctxs[(pool, ns)] = io
            return io
