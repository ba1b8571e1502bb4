# One librados session for one Node process (plugins/ceph/session.ts starts it).
#
# A Ceph CLI process costs 40-80 ms before its first operation (start, connect, maps); a verb
# makes about ten of them. Here the process starts once, connects once, and each operation is a
# few milliseconds. Python's rados and rbd bindings are used because the `ceph` CLI itself
# runs on them: wherever ceph-common is installed, they are.
#
# Protocol, JSON lines in UTF-8: the first line from Node, on stdin, is the connection ({conf,
# user, keyring, mon_host, connect_timeout, op_timeout}); each next line a request {id, op, pool,
# ns, ...}; each answer, on fd 3, {id, ok: result} or {id, errno, msg}, in completion order (each
# request runs on a thread of its own, at most MAX_RUNNING at once: librados releases the GIL
# while it waits). Answers have a pipe of their own because a library may print on stdout, which
# goes to stderr instead. A line that is no request gets an error answer (id null when it has
# none), never the end of the session. End of input ends the process.
# Node may start this before it knows the cluster: the imports, most of the start-up, overlap
# with Node's own.
#
# The protocol is read and written as bytes, decoded and encoded as UTF-8 here: XCP-ng's Python
# 3.6 has no UTF-8 mode, and under LC_ALL=C its text streams are ASCII, which no name in another
# language survives.
import json
import os
import re
import struct
import sys
import threading
import time


# The answers' pipe: fd 3 when Node opened it. Whatever else writes on stdout (a library's
# message, from its import on) goes to stderr, where Node keeps the tail for its errors.
def answer_channel():
    try:
        os.fstat(3)
        fd = 3
    except OSError:
        fd = os.dup(1)
    os.dup2(2, 1)
    return fd


ANSWERS = answer_channel()


# Node starts this with -S: site's processing costs about 7 ms of every verb. The system's own
# package directories, where ceph-common puts the bindings, are searched instead; where they are
# elsewhere, site's processing is the fallback.
sys.path.extend(["/usr/lib/python3/dist-packages", "/usr/lib64/python%d.%d/site-packages" % sys.version_info[:2], "/usr/lib/python%d.%d/site-packages" % sys.version_info[:2]])
try:
    import rados
except ImportError:
    import site

    site.main()
    import rados

# librbd loads (about 15 ms) on a thread of its own while the session connects: RADOS operations,
# the first ones of every verb, need not wait for it; RBD operations do (serve()).
rbd = None
FEATURES = {}
SNAP_NAMESPACES = {}
rbd_loaded = threading.Event()
rbd_failure = []


def load_rbd():
    global rbd, FEATURES, SNAP_NAMESPACES
    try:
        import rbd as module

        FEATURES = {
            "layering": module.RBD_FEATURE_LAYERING,
            "striping": module.RBD_FEATURE_STRIPINGV2,
            "exclusive-lock": module.RBD_FEATURE_EXCLUSIVE_LOCK,
            "object-map": module.RBD_FEATURE_OBJECT_MAP,
            "fast-diff": module.RBD_FEATURE_FAST_DIFF,
            "deep-flatten": module.RBD_FEATURE_DEEP_FLATTEN,
            "journaling": module.RBD_FEATURE_JOURNALING,
            "data-pool": module.RBD_FEATURE_DATA_POOL,
            "operations": module.RBD_FEATURE_OPERATIONS,
            "migrating": module.RBD_FEATURE_MIGRATING,
            "non-primary": module.RBD_FEATURE_NON_PRIMARY,
        }
        SNAP_NAMESPACES = {
            module.RBD_SNAP_NAMESPACE_TYPE_USER: "user",
            module.RBD_SNAP_NAMESPACE_TYPE_GROUP: "group",
            module.RBD_SNAP_NAMESPACE_TYPE_TRASH: "trash",
            module.RBD_SNAP_NAMESPACE_TYPE_MIRROR: "mirror",
        }
        rbd = module
    except Exception as e:  # reported by each RBD operation
        rbd_failure.append(e)
    finally:
        rbd_loaded.set()


def need_rbd():
    rbd_loaded.wait()
    if rbd is None:
        raise Failure(95, "the python rbd module cannot be loaded: %s" % rbd_failure[0])


OMAP_PAGE = 4096


class Failure(Exception):
    def __init__(self, errno, msg):
        Exception.__init__(self, msg)
        self.errno = errno


def feature_mask(names):
    mask = 0
    for n in names:
        if n not in FEATURES:
            raise Failure(22, "unknown image feature " + n)
        mask |= FEATURES[n]
    return mask


def feature_names(mask):
    return [n for n, bit in FEATURES.items() if mask & bit]


class Session(object):
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.Lock()
        self.cluster = None
        self.ioctxs = {}

    # Connects on first use, and again after a failure (a long-lived GC worker outlives a
    # monitor outage).
    def connected(self):
        with self.lock:
            if self.cluster is None:
                c = self.cfg
                conf = {
                    "client_mount_timeout": str(c["connect_timeout"]),
                    "rados_osd_op_timeout": str(c["op_timeout"]),
                    "rados_mon_op_timeout": str(c["op_timeout"]),
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
                self.cluster = cluster
            return self.cluster

    def ioctx(self, pool, ns):
        cluster = self.connected()
        with self.lock:
            io = self.ioctxs.get((pool, ns))
            if io is None:
                io = cluster.open_ioctx(pool)
                io.set_namespace(ns)
                self.ioctxs[(pool, ns)] = io
            return io


def omap_list(io, r):
    out = []
    after = ""
    while True:
        with rados.ReadOpCtx() as op:
            it, _ = io.get_omap_vals(op, after, "", OMAP_PAGE)
            io.operate_read_op(op, r["obj"])
            page = [(k, (v or b"").decode("utf-8", "replace")) for k, v in it]
        if not page:
            return out
        out.extend(page)
        after = page[-1][0]


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


def image_info(io, r):
    with rbd.Image(io, r["image"], read_only=True) as im:
        st = im.stat()
        info = {"name": r["image"], "id": im.id(), "size": st["size"], "object_size": st["obj_size"], "features": feature_names(im.features())}
        try:
            p = im.get_parent_image_spec()
            info["parent"] = {"pool": p["pool_name"], "image": p["image_name"], "snapshot": p["snap_name"]}
        except rbd.ImageNotFound:
            pass
        return info


def image_resize(io, r):
    with rbd.Image(io, r["image"]) as im:
        im.resize(r["bytes"], allow_shrink=r["shrink"])


def snap_create(io, r):
    with rbd.Image(io, r["image"]) as im:
        im.create_snap(r["snap"])


def snap_remove(io, r):
    with rbd.Image(io, r["image"]) as im:
        im.remove_snap(r["snap"])


# list_snaps lists every namespace (user, trash...); older bindings name none: user snapshots.
def namespace_of(snap):
    return SNAP_NAMESPACES.get(snap.get("namespace"), "user")


def snap_list(io, r):
    with rbd.Image(io, r["image"], read_only=True) as im:
        return [{"id": s["id"], "name": s["name"], "size": s["size"], "namespace": {"type": namespace_of(s)}} for s in im.list_snaps()]


# What `rbd du` reports for the head or one user snapshot, without its pass over every image of
# the namespace and every snapshot before the one asked: the objects written since the user
# snapshot before it, whole objects as fast-diff counts them, the parent's data left out.
def image_du(io, r):
    with rbd.Image(io, r["image"], read_only=True) as im:
        names = [s["name"] for s in sorted(im.list_snaps(), key=lambda s: s["id"]) if namespace_of(s) == "user"]
        snap = r.get("snap")
        if snap is None:
            since = names[-1] if names else None
        elif snap in names:
            at = names.index(snap)
            since = names[at - 1] if at > 0 else None
            im.set_snap(snap)
        else:
            raise Failure(2, "no snapshot %s of %s" % (snap, r["image"]))
        # A zero-sized head (or snapshot) after a larger snapshot trips an assertion in librbd's
        # diff (Pacific), which aborts this whole process, every operation of the verb with it.
        # It holds nothing.
        if im.size() == 0:
            return 0
        used = [0]

        def count(offset, length, exists):
            if exists:
                used[0] += length
            return 0

        im.diff_iterate(0, im.size(), since, count, include_parent=False, whole_object=True)
        return used[0]


def trash_snap_count(io, r):
    with rbd.Image(io, image_id=r["image_id"], read_only=True) as im:
        return len(list(im.list_snaps()))


# Every entry, with the images it still reads: its head's parent, and the parent of each of its
# snapshots. A reclaimed clone's head reads nothing any more, but a snapshot of it, even one
# removed into the trash namespace because a clone reads it in turn, keeps its parent until it
# goes. An entry whose image is gone (a purge in progress removes the header before the entry)
# reads nothing: it is listed without parents.
def trash_list(io, r):
    out = []
    for e in rbd.RBD().trash_list(io):
        parents = []
        try:
            with rbd.Image(io, image_id=e["id"], read_only=True) as im:
                for snap_id in [None] + [s["id"] for s in im.list_snaps()]:
                    try:
                        if snap_id is not None:
                            im.set_snap_by_id(snap_id)
                        name = im.get_parent_image_spec()["image_name"]
                    except rbd.ImageNotFound:
                        continue  # no parent at this point in the image's history, or no snapshot any more
                    if name not in parents:
                        parents.append(name)
        except (rbd.ImageNotFound, rados.ObjectNotFound):
            pass  # no image any more
        out.append({"id": e["id"], "name": e["name"], "parents": parents})
    return out


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


# A monitor or mgr command (what the `ceph` CLI sends), answered with its output text.
def command(cluster, r):
    send = cluster.mon_command if r["target"] == "mon" else cluster.mgr_command
    ret, out, outs = send(json.dumps(r["cmd"]), b"", timeout=int(r["timeout"]))
    if ret != 0:
        # A command nobody serves (an mgr module missing, an older Ceph) is EOPNOTSUPP to Node.
        unsupported = re.search("No handler found|unrecognized command|command not known", outs or "")
        raise Failure(95 if unsupported else -ret, outs or "error %d" % ret)
    return out.decode("utf-8", "replace")


CLUSTER_OPS = {"command": command}
RADOS_OPS = {"omap_list", "omap_update", "obj_remove", "lock", "unlock"}

OPS = {
    "omap_list": omap_list,
    "omap_update": omap_update,
    "obj_remove": lambda io, r: io.remove_object(r["obj"]),
    "lock": lock,
    "unlock": lambda io, r: io.unlock(r["obj"], r["name"], r["cookie"]),
    "image_create": lambda io, r: rbd.RBD().create(io, r["image"], r["bytes"], old_format=False, features=feature_mask(r["features"])),
    "image_info": image_info,
    "image_list": lambda io, r: rbd.RBD().list(io),
    "image_resize": image_resize,
    "image_remove": lambda io, r: rbd.RBD().remove(io, r["image"]),
    "trash_move": lambda io, r: rbd.RBD().trash_move(io, r["image"], 0),
    "snap_create": snap_create,
    "snap_remove": snap_remove,
    "snap_list": snap_list,
    "image_du": image_du,
    "trash_snap_count": trash_snap_count,
    "trash_list": trash_list,
    "clone": lambda io, r: rbd.RBD().clone(io, r["parent"], r["snap"], io, r["image"], features=feature_mask(r["features"])),
    "ns_create": lambda io, r: rbd.RBD().namespace_create(io, r["name"]),
    "ns_remove": lambda io, r: rbd.RBD().namespace_remove(io, r["name"]),
    "ns_list": lambda io, r: rbd.RBD().namespace_list(io),
}


# Requests served at once; the others wait in the pipe. Each holds a thread and, in librados,
# its share of the messenger's throttles: a burst (the GC's Promise.all over every image) must
# not start hundreds.
MAX_RUNNING = 32


def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def parse(raw):
    try:
        return json.loads(raw.decode("utf-8")), None
    except (ValueError, UnicodeDecodeError) as e:
        return None, "malformed request line: %s" % e


def main():
    threading.Thread(target=load_rbd, daemon=True).start()
    stdin = sys.stdin.buffer
    out = ANSWERS
    first = stdin.readline()
    if not first:
        os._exit(0)
    cfg, bad = parse(first)
    session = Session(cfg if isinstance(cfg, dict) else {})
    out_lock = threading.Lock()

    def answer(msg):
        line = (json.dumps(msg) + "\n").encode("utf-8")
        with out_lock:
            try:
                write_all(out, line)
            except OSError:
                pass  # Node is gone: nobody to answer

    def fail(rid, errno, msg):
        answer({"id": rid, "errno": errno, "msg": msg})

    def serve(req):
        rid = req.get("id")
        try:
            if bad is not None or not isinstance(cfg, dict):
                raise Failure(22, "malformed session configuration: %s" % (bad or "not an object"))
            op = req.get("op")
            if op in CLUSTER_OPS:
                result = CLUSTER_OPS[op](session.connected(), req)
            elif op in OPS:
                if op not in RADOS_OPS:
                    need_rbd()
                result = OPS[op](session.ioctx(req["pool"], req.get("ns", "")), req)
            else:
                raise Failure(22, "unknown operation %r" % op)
            answer({"id": rid, "ok": result})
        except Exception as e:  # every failure is an answer: Node maps errno to its error kinds
            errno = getattr(e, "errno", None)
            fail(rid, errno if isinstance(errno, int) else 0, "%s: %s" % (type(e).__name__, e))

    slots = threading.BoundedSemaphore(MAX_RUNNING)

    def run(req):
        try:
            serve(req)
        finally:
            slots.release()

    def connect_early():
        try:
            session.connected()
        except Exception:
            pass  # the first request reports it

    if isinstance(cfg, dict):
        threading.Thread(target=connect_early, daemon=True).start()
    running = []
    for raw in stdin:
        if not raw.strip():
            continue
        req, why = parse(raw)
        if req is None or not isinstance(req, dict):
            fail(None, 22, why or "a request is a JSON object")
            continue
        if not isinstance(req.get("id"), int) or isinstance(req.get("id"), bool):
            fail(req.get("id"), 22, "a request needs an integer id")
            continue
        slots.acquire()
        t = threading.Thread(target=run, args=(req,))
        t.start()
        running = [r for r in running if r.is_alive()] + [t]
    # Node is gone. Operations under way finish first (each is bounded by the op timeouts): one
    # abandoned halfway would leave its image's exclusive lock to a dead client, which the next
    # operation on that image would wait out (the OSDs' 30 s watch timeout). A join that outlasts
    # every bound (a librados call that never returns) does not keep the process: it exits.
    deadline = time.time() + join_seconds(cfg)
    for t in running:
        t.join(max(0.0, deadline - time.time()))
    os._exit(0)


def join_seconds(cfg):
    try:
        return 2 * float(cfg["op_timeout"]) + 5
    except (KeyError, TypeError, ValueError):
        return 60.0


if __name__ == "__main__":
    main()
