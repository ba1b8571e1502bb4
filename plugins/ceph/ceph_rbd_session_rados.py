# The session's RADOS operations (ceph-session.py serves them): omap reads and writes, the
# advisory locks (cls_lock) and the guard a locked write carries, and monitor or mgr commands.
# None needs librbd: they run while it still loads.
import json
import os
import re
import struct

from ceph_rbd_session_connect import Failure, rados

OMAP_PAGE = 4096
ETIMEDOUT = 110


def _pairs(it):
    return [(k, (v or b"").decode("utf-8", "replace")) for k, v in it]


def _page(io, obj, after, prefix, count):
    with rados.ReadOpCtx() as op:
        it, _ = io.get_omap_vals(op, after, prefix, count)
        io.operate_read_op(op, obj)
        return _pairs(it)


# Every entry whose key starts with prefix, page by page: the OSD seeks straight to the prefix,
# so a range costs what it holds, not what the object holds.
def _range(io, obj, prefix):
    out = []
    after = ""
    while True:
        page = _page(io, obj, after, prefix, OMAP_PAGE)
        if not page:
            return out
        out.extend(page)
        after = page[-1][0]


# One page of the whole object: the `max` entries after the key `after`, fewer only at its end
# (an OSD answers at most osd_max_omap_entries_per_request a read, 1024 by default: as many reads
# as that takes). Node asks page after page, so that neither process ever holds a large object's
# omap as one answer.
def omap_list(io, r):
    want = min(int(r.get("max", OMAP_PAGE)), OMAP_PAGE)
    out = []
    after = r.get("after", "")
    while len(out) < want:
        page = _page(io, r["obj"], after, "", want - len(out))
        if not page:
            break
        out.extend(page)
        after = page[-1][0]
    return out


# Named keys (those present) and whole prefix ranges: what a verb on one volume needs.
def omap_read(io, r):
    out = []
    keys = r.get("keys") or []
    if keys:
        with rados.ReadOpCtx() as op:
            it, _ = io.get_omap_vals_by_keys(op, tuple(keys))
            io.operate_read_op(op, r["obj"])
            out.extend(_pairs(it))
    for prefix in r.get("prefixes") or []:
        out.extend(_range(io, r["obj"], prefix))
    return out


# A write made under advisory locks ("guards": [{name, cookie}]) happens only while each is still
# ours: cls_lock's assert_locked runs in the same write op, before the omap changes, as librbd's
# ManagedLock guards its writes. Bindings without WriteOp.execute (Nautilus) assert in an exec of
# its own just before the write: not atomic (a lock lost between the two goes unseen), but it
# still stops a writer whose lock was lost before. The answer says which was done.
ATOMIC_GUARDS = hasattr(rados.WriteOp, "execute")


def omap_update(io, r):
    guards = r.get("guards") or []
    try:
        with rados.WriteOpCtx() as op:
            for g in guards:
                if ATOMIC_GUARDS:
                    op.execute("lock", "assert_locked", assert_op(g))
                else:
                    io.execute(r["obj"], "lock", "assert_locked", assert_op(g))
            keys = list(r.get("set", {}).keys())
            if keys:
                io.set_omap(op, tuple(keys), tuple(r["set"][k].encode("utf-8") for k in keys))
            if r.get("rm"):
                io.remove_omap_keys(op, tuple(r["rm"]))
            io.operate_write_op(op, r["obj"])
    except rados.Error as e:
        # assert_locked fails with EBUSY (another holder, or none); the object's absence is ENOENT.
        if guards and getattr(e, "errno", None) in (2, 16):
            raise Failure(e.errno, "lock %s is no longer held by this process" % ", ".join(g["name"] for g in guards))
        raise
    return {"guarded": "atomic" if ATOMIC_GUARDS else "separate"} if guards else None


def encoded(text):
    b = text.encode("utf-8")
    return struct.pack("<I", len(b)) + b


# An encoded cls_lock operation: ENCODE_START(1, 1) (version, compat, length), then the body.
def cls_op(body):
    return struct.pack("<BBI", 1, 1, len(body)) + body


# Renewing (LOCK_FLAG_MUST_RENEW): only a lock this client still holds is extended; one that
# expired or was broken fails with ENOENT, and another's with EBUSY. LOCK_FLAG_MAY_RENEW would
# instead take the lock afresh once it is free again, after another host may have finished (or
# rolled back) the work it guarded.
MUST_RENEW = 2


# cls_lock's "lock" method called directly: the binding's lock_exclusive leaves the duration's
# microseconds uninitialised (Pacific), which can stretch a lease by an arbitrary amount.
# cls_lock_lock_op, version 1: name, type (1: exclusive), cookie, tag, description, duration
# (utime_t: seconds, nanoseconds), flags.
def lock(io, r):
    seconds = float(r["seconds"])
    flags = MUST_RENEW if r.get("renew") else 0
    body = encoded(r["name"]) + struct.pack("<B", 1) + encoded(r["cookie"]) + encoded("") + encoded("") + struct.pack("<IIB", int(seconds), int(seconds % 1 * 1e9), flags)
    io.execute(r["obj"], "lock", "lock", cls_op(body))


# cls_lock_assert_op, version 1: name, type (1: exclusive), cookie, tag.
def assert_op(g):
    return cls_op(encoded(g["name"]) + struct.pack("<B", 1) + encoded(g["cookie"]) + encoded(""))


# A monitor or mgr command (what the `ceph` CLI sends), answered with its output text. librados
# bounds it by its connection's rados_mon_op_timeout (Session.mgr_connected); the timeout
# argument is kept for bindings that honour it.
def command(session, r):
    target = r["target"]
    if target == "mon":
        send, seconds = session.connected().mon_command, session.cfg["op_timeout"]
    else:
        send, seconds = session.mgr_connected().mgr_command, session.cfg.get("mgr_timeout", session.cfg["op_timeout"])
    ret, out, outs = send(json.dumps(r["cmd"]), b"", timeout=int(r["timeout"]))
    if ret != 0:
        # A command nobody serves (an mgr module missing, an older Ceph) is EOPNOTSUPP to Node.
        # The binding's sign of ret is not the same for every failure: the errno is its size.
        unsupported = re.search("No handler found|unrecognized command|command not known", outs or "")
        raise Failure(95 if unsupported else abs(ret), outs or failure_words(target, abs(ret), seconds))
    return out.decode("utf-8", "replace")


# What a failed command with no message of its own says: librados gives only an errno.
def failure_words(target, errno, seconds):
    if errno == ETIMEDOUT:
        return "the %s did not answer within %s s" % (target, seconds)
    return "the %s refused the command: %s (errno %d)" % (target, os.strerror(errno), errno)


# Operations on the cluster itself, and those on a pool's I/O context.
CLUSTER_OPERATIONS = {"command": command}
RADOS_OPERATIONS = {
    "omap_list": omap_list,
    "omap_read": omap_read,
    "omap_update": omap_update,
    "obj_remove": lambda io, r: io.remove_object(r["obj"]),
    "lock": lock,
    "unlock": lambda io, r: io.unlock(r["obj"], r["name"], r["cookie"]),
}
