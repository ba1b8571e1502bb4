# One connection to the session service (ceph-session-service.py): one verb process, speaking
# JSON-RPC 2.0, one message a line, UTF-8, as bytes (Python 3.6, LC_ALL=C).
#   hello {version}           must come first; an error -32001 (data: the service's version) when
#                             the versions differ: the verb then asks it to leave
#   op {client, req}          one session operation (ceph_rbd_session_ops.py): client is the
#                             cluster identity and timeouts (paths and names only), req the
#                             request of ceph-session.py's protocol without its id; a Ceph failure
#                             is error -32000 with data {errno}
#   status, leave             for ceph-rbd-admin
#   syslog {lines}            a notification (no answer), after hello: the verb's syslog lines,
#                             [[severity, text], ...], logged as `logger -t SMAPIv3` would (facility
#                             local2, which XCP-ng routes to SMlog), so that the verb starts no
#                             `logger` process
# Requests run on threads of their own, bounded for the whole service (slots); answers go in
# completion order. At the end of the connection, the advisory locks it took and did not release
# are released: the verb that took them is gone (its lease would end them later anyway).
import json
import socket
import threading
import time

from ceph_rbd_service_clients import identity
from ceph_rbd_session_ops import failure_of, perform

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
NO_METHOD = -32601
CEPH_FAILURE = -32000
VERSION_MISMATCH = -32001
HELLO_FIRST = -32002


# Bounds on one batch: a verb logs a few dozen lines; anything larger is cut, not refused.
SYSLOG_LINES = 1000
SYSLOG_TEXT = 65536
LOCAL2 = 18 * 8


# What glibc's syslog(3) sends for ident SMAPIv3, facility local2 (RFC 3164, no hostname on a
# local socket), one datagram a line. Written by hand, not with the syslog module, so that the
# socket can be another (tests): CEPH_RBD_SYSLOG_SOCKET. No syslog daemon: the lines are lost, as
# `logger`'s would be, and the verb's stderr has them.
def log_lines(path, lines):
    if not isinstance(lines, list):
        return
    stamp = time.strftime("%b %e %H:%M:%S")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        for item in lines[:SYSLOG_LINES]:
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], int) and 0 <= item[0] <= 7 and isinstance(item[1], str):
                text = "<%d>%s SMAPIv3: %s" % (LOCAL2 + item[0], stamp, item[1][:SYSLOG_TEXT])
                sock.sendto(text.encode("utf-8", "replace"), path)
    except OSError:
        pass
    finally:
        sock.close()


class Connection(object):
    def __init__(self, service, sock):
        self.service = service
        self.sock = sock
        self.out_lock = threading.Lock()
        self.state_lock = threading.Lock()
        self.pinned = {}
        self.held = {}
        self.greeted = False

    def send(self, msg):
        msg["jsonrpc"] = "2.0"
        line = (json.dumps(msg) + "\n").encode("utf-8")
        with self.out_lock:
            try:
                self.sock.sendall(line)
            except OSError:
                pass  # the verb is gone: nobody to answer

    def error(self, rid, code, message, data=None):
        err = {"code": code, "message": message}
        if data is not None:
            err["data"] = data
        self.send({"id": rid, "error": err})

    def client(self, cfg):
        key = identity(cfg)
        with self.state_lock:
            c = self.pinned.get(key)
            if c is None:
                c = self.service.clients.pin(cfg)
                self.pinned[key] = c
            return c

    def run_op(self, rid, params):
        try:
            cfg, req = params.get("client"), params.get("req")
            if not isinstance(cfg, dict) or not isinstance(req, dict):
                return self.error(rid, INVALID_REQUEST, "op needs {client, req} objects")
            c = self.client(cfg)
            try:
                result = perform(c.session, req)
            except Exception as e:  # every failure is an answer: Node maps errno to its error kinds
                errno, msg = failure_of(e)
                self.service.clients.failed(c, errno)
                return self.error(rid, CEPH_FAILURE, msg, {"errno": errno})
            self.track(c, req)
            self.send({"id": rid, "result": result})
        finally:
            self.service.slots.release()

    # Locks taken through this connection and not yet released by it.
    def track(self, c, req):
        op = req.get("op")
        if op not in ("lock", "unlock"):
            return
        where = (id(c), req.get("pool"), req.get("ns", ""), req.get("obj"), req.get("name"), req.get("cookie"))
        with self.state_lock:
            if op == "lock":
                self.held[where] = (c, req)
            else:
                self.held.pop(where, None)

    def release_leftovers(self):
        for c, req in list(self.held.values()):
            try:
                c.session.ioctx(req["pool"], req.get("ns", "")).unlock(req["obj"], req["name"], req["cookie"])
            except Exception:
                pass  # expired, broken or taken again elsewhere: its lease decides

    def handle(self, msg):
        rid = msg.get("id")
        method = msg.get("method")
        params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
        if method == "hello":
            if params.get("version") != self.service.version:
                return self.error(rid, VERSION_MISMATCH, "the session service runs another version", {"version": self.service.version})
            self.greeted = True
            return self.send({"id": rid, "result": {"version": self.service.version, "pid": self.service.pid}})
        if method == "status":
            return self.send({"id": rid, "result": self.service.status()})
        if method == "leave":
            self.service.leave()
            return self.send({"id": rid, "result": {"pid": self.service.pid}})
        if method == "syslog" and self.greeted and rid is None:
            return log_lines(self.service.syslog, params.get("lines"))
        if method != "op":
            return self.error(rid, NO_METHOD, "unknown method %r" % method)
        if not self.greeted:
            return self.error(rid, HELLO_FIRST, "hello first: the versions must match")
        self.service.slots.acquire()
        t = threading.Thread(target=self.run_op, args=(rid, params))
        t.daemon = True
        t.start()
        return t

    def serve(self, join_seconds):
        running = []
        try:
            for raw in self.sock.makefile("rb"):
                if not raw.strip():
                    continue
                try:
                    msg = json.loads(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as e:
                    self.error(None, PARSE_ERROR, "malformed message: %s" % e)
                    continue
                if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0" or not isinstance(msg.get("method"), str):
                    self.error(msg.get("id") if isinstance(msg, dict) else None, INVALID_REQUEST, "not a JSON-RPC 2.0 request")
                    continue
                t = self.handle(msg)
                if isinstance(t, threading.Thread):
                    running = [r for r in running if r.is_alive()] + [t]
        except OSError:
            pass  # the verb is gone
        finally:
            # Operations under way finish first (see ceph-session.py: one abandoned halfway would
            # leave an image's exclusive lock to nobody), each bounded by its op timeouts.
            for t in running:
                t.join(join_seconds)
            self.release_leftovers()
            for c in self.pinned.values():
                self.service.clients.unpin(c)
            try:
                self.sock.close()
            except OSError:
                pass


def serve_connection(service, sock, join_seconds):
    try:
        Connection(service, sock).serve(join_seconds)
    finally:
        service.disconnected()
