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
#
# This file is the protocol; beside it, ceph_rbd_session_connect.py holds the connection,
# ceph_rbd_session_ops.py the operations by name,
# ceph_rbd_session_rados.py the RADOS operations, ceph_rbd_session_rbd.py the RBD ones.
import json
import os
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


# The helper's own modules sit beside it (lib/ of the install tree). Its directory comes first
# whatever else sys.path holds (run through -c and runpy, the working directory), so that no
# module of the same name elsewhere stands in for them; and they leave no bytecode there: the
# installed directory stays as the package left it. Their bytecode is compiled when they are
# installed, by the Python that runs them (scripts/build.mjs, the RPM's %post): compiling the
# modules from source cost every start ~13 ms. They are imported after the answers' pipe is set:
# a binding may print as it loads.
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
no_bytecode = sys.dont_write_bytecode
sys.dont_write_bytecode = True
from ceph_rbd_session_connect import Failure, Session
from ceph_rbd_session_ops import CLUSTER_OPS, OPS, RADOS_OPS, failure_of, perform
from ceph_rbd_session_rbd import load_rbd

sys.dont_write_bytecode = no_bytecode
# The operation tables, as test/unit/session-ops.test.ts reads them from this script.
__all__ = ["CLUSTER_OPS", "OPS", "RADOS_OPS", "main"]


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
            answer({"id": rid, "ok": perform(session, req)})
        except Exception as e:  # every failure is an answer: Node maps errno to its error kinds
            fail(rid, *failure_of(e))

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
