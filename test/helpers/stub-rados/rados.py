# A stand-in for Python's rados binding, for the session helper's protocol tests on a Python
# without Ceph's bindings (XCP-ng's 3.6 here): an in-memory omap, and ops that can be made slow
# or stuck on cue. It prints on stdout when imported, as a chatty library might.
import os
import sys
import threading
import time

sys.stdout.write("stray output from a library\n")
sys.stdout.flush()

LIBRADOS_CREATE_EXCLUSIVE = 1
OMAP = {}
running = [0, 0]  # now, most at once
count_lock = threading.Lock()


class Error(Exception):
    def __init__(self, msg, errno=None):
        Exception.__init__(self, msg)
        self.errno = errno


class ObjectNotFound(Error):
    pass


class _Op(object):
    def __init__(self):
        self.steps = []

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


class ReadOpCtx(_Op):
    pass


class WriteOp(_Op):
    def execute(self, cls, method, data):
        self.steps.append(("exec", cls, method, data))


# An older binding (Nautilus) has no WriteOp.execute.
if os.environ.get("STUB_NO_EXECUTE"):
    del WriteOp.execute


class WriteOpCtx(WriteOp):
    pass


def trace(line):
    path = os.environ.get("STUB_TRACE")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


# The read's results, known once the read op ran, as the binding's iterator is.
class Lazy(object):
    def __init__(self, op):
        self.op = op

    def __iter__(self):
        return iter(self.op.items)


class Ioctx(object):
    def set_namespace(self, ns):
        pass

    def get_omap_vals(self, op, after, prefix, n):
        op.after = after
        op.items = []
        return Lazy(op), 0

    def operate_read_op(self, op, obj):
        # "slow" and "stuck" objects: a read that takes 0.3 s, or forever.
        with count_lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
            trace("most %d" % running[1])
        try:
            if obj == "slow":
                time.sleep(0.3)
            if obj == "stuck":
                time.sleep(3600)
        finally:
            with count_lock:
                running[0] -= 1
        op.items = sorted((k, v) for k, v in OMAP.get(obj, {}).items() if k > op.after)

    def set_omap(self, op, keys, values):
        op.steps.append(("set", keys, values))

    def remove_omap_keys(self, op, keys):
        op.steps.append(("rm", keys))

    def execute(self, obj, cls, method, data):
        trace("separate %s.%s %s" % (cls, method, data.hex()))

    def operate_write_op(self, op, obj):
        for s in op.steps:
            if s[0] == "exec":
                trace("atomic %s.%s %s" % (s[1], s[2], s[3].hex()))
            elif s[0] == "set":
                OMAP.setdefault(obj, {}).update(zip(s[1], s[2]))
            elif s[0] == "rm":
                for k in s[1]:
                    OMAP.get(obj, {}).pop(k, None)


class Rados(object):
    def __init__(self, conffile=None, rados_id=None, conf=None):
        self.conf = conf or {}

    # An mgr that never answers: librados gives up after the connection's rados_mon_op_timeout
    # with ETIMEDOUT and no message (its binding's sign of ret varies).
    def mgr_command(self, cmd, inbuf, timeout=0, target=None):
        trace("mgr_command after %s s" % self.conf.get("rados_mon_op_timeout"))
        return 110, b"", ""

    def connect(self, timeout=0):
        pass

    def shutdown(self):
        pass

    def open_ioctx(self, pool):
        return Ioctx()
