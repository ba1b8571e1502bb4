# The per-host session service: one long-lived process holding one connected librados client
# per cluster identity for every verb of the host (ceph_rbd_service_clients.py), answering their
# operations over a unix socket (ceph_rbd_service_conn.py, JSON-RPC 2.0). The first verb that
# needs Ceph starts it (plugins/ceph/service-start.ts), detached; it leaves when idle, when asked
# (a verb of another version, `ceph-rbd-admin service stop`) or on SIGTERM.
#
#   ceph-session-service.py --socket PATH --pid-file PATH --version V --idle SECONDS
#
# At most one per host: the pid file is also its lock (flock), held for the service's life; a
# second one started in a race finds it taken and exits. The socket is made in the directory Node
# created root's alone (0700), itself 0600; Node checks both before use.
#
# Its version is what the verb that started it requires (--version: the plugin's version, a digest
# of these Python files, which Python runs them; plugins/ceph/service-paths.ts): a verb that
# requires another is never served by it.
import fcntl
import json
import os
import select
import signal
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
# As ceph-session.py: no bytecode written here; the install compiles it (scripts/build.mjs, the
# RPM's %post).
no_bytecode = sys.dont_write_bytecode
sys.dont_write_bytecode = True
from ceph_rbd_service_clients import Clients
from ceph_rbd_service_conn import serve_connection
from ceph_rbd_session_rbd import load_rbd

sys.dont_write_bytecode = no_bytecode

# Each connection holds a thread (a verb, or the GC worker); beyond this a verb is refused and
# falls back to a session of its own. Operations in flight are bounded for the whole service.
MAX_CONNECTIONS = 64
MAX_RUNNING = 32
# How long a service started in a race waits for the lock (one that is leaving lets go of it).
LOCK_WAIT = 3.0
# How long a connection's operations, and a leaving service's connections, may still run: above
# twice the longest op timeout a verb sets (each operation is bounded by its own).
DRAIN_SECONDS = 65.0


def options(argv):
    opts = dict(zip(argv[1::2], argv[2::2]))
    return opts["--socket"], opts["--pid-file"], opts["--version"], float(opts["--idle"]), opts.get("--syslog", "/dev/log")


def take_lock(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    until = time.time() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError:
            if time.time() > until:
                os._exit(0)  # another service runs
            time.sleep(0.05)


# The pid file's format (plugins/pid-file.ts): pid, start time, arguments.
def write_identity(fd):
    with open("/proc/self/stat") as f:
        stat = f.read()
    start = stat[stat.rindex(")") + 2:].split(" ")[19]
    with open("/proc/self/cmdline", "rb") as f:
        argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0")[:-1]]
    os.ftruncate(fd, 0)
    os.pwrite(fd, ("%d\n%s\n%s\n" % (os.getpid(), start, json.dumps(argv))).encode("utf-8"), 0)


class Service(object):
    def __init__(self, version, idle, syslog):
        self.version = version
        self.idle = idle
        self.syslog = syslog
        self.pid = os.getpid()
        self.started = time.time()
        self.clients = Clients()
        self.slots = threading.BoundedSemaphore(MAX_RUNNING)
        self.lock = threading.Lock()
        self.connections = 0
        self.last = time.time()
        self.leaving = threading.Event()

    def connected(self):
        with self.lock:
            self.connections += 1
            self.last = time.time()

    def disconnected(self):
        with self.lock:
            self.connections -= 1
            self.last = time.time()

    def leave(self):
        self.leaving.set()

    def idle_for(self):
        with self.lock:
            return 0.0 if self.connections else time.time() - self.last

    def status(self):
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return {
            "pid": self.pid,
            "version": self.version,
            "uptime": round(time.time() - self.started, 1),
            "connections": self.connections,
            "idle_exit": self.idle,
            "rss_kib": int(fields.get("VmRSS", "0 kB").split()[0]),
            "threads": int(fields.get("Threads", "0")),
            "clients": self.clients.describe(),
        }


def main():
    path, pid_file, version, idle, syslog = options(sys.argv)
    os.umask(0o077)
    lock_fd = take_lock(pid_file)
    service = Service(version, idle, syslog)
    signal.signal(signal.SIGTERM, lambda *_: service.leave())
    # Bound and listening under another name, then renamed over the path (and over a socket left
    # by a service that died: the lock says none runs), so that a verb never finds the socket
    # before it accepts: between bind and listen a connect is refused, and the verb would fall
    # back on a session of its own.
    fresh = path + ".new"
    try:
        os.unlink(fresh)
    except OSError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(fresh)
    os.chmod(fresh, 0o600)
    server.listen(MAX_CONNECTIONS)
    os.rename(fresh, path)
    mine = os.stat(path).st_ino
    # The rbd binding (librbd, ~10 ms) loads now, not before the bind: a cold verb waits for the
    # socket and then for its client's connection, which librados makes without the GIL, while a
    # thread importing rbd any earlier takes the GIL from the imports and the bind it waits for
    # (a cold Volume.stat measured ~8 ms sooner). An RBD operation waits for it (need_rbd).
    threading.Thread(target=load_rbd, daemon=True).start()
    # Named in the pid file once it answers: a verb that finds the socket missing while the pid
    # file names a live service knows this one is unreachable (its socket was removed).
    write_identity(lock_fd)
    while not service.leaving.is_set() and service.idle_for() < idle:
        if not select.select([server], [], [], 0.5)[0]:
            continue
        conn, _ = server.accept()
        if service.connections >= MAX_CONNECTIONS:
            conn.close()
            continue
        service.connected()
        threading.Thread(target=serve_connection, args=(service, conn, DRAIN_SECONDS), daemon=True).start()
    # Leaving: no new connection (the socket goes first, while the lock still keeps a successor
    # from binding its own), then the lock goes, then the verbs under way end theirs.
    try:
        if os.stat(path).st_ino == mine:
            os.unlink(path)
    except OSError:
        pass
    server.close()
    os.close(lock_fd)
    until = time.time() + DRAIN_SECONDS
    while service.connections > 0 and time.time() < until:
        time.sleep(0.1)
    os._exit(0)


if __name__ == "__main__":
    main()
