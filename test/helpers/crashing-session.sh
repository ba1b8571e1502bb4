#!/bin/bash
# A librados session whose process aborts, the way Ceph's C++ libraries abort it, when it is asked
# CRASH_OP, CRASH_TIMES times in all (default 1: later processes find as many lines in CRASH_MARKER
# and run normally). For CEPH_RBD_PYTHON: a real
# cluster cannot crash its clients' libraries on cue. Arguments: python's flags, then the script.
exec /usr/bin/python3 -E -S -c '
import os, runpy, sys
session = runpy.run_path(sys.argv[1], run_name="session")
table = session["OPS"] if os.environ["CRASH_OP"] in session["OPS"] else session["CLUSTER_OPS"]
real = table[os.environ["CRASH_OP"]]
def crash(io, r):
    marker = os.environ["CRASH_MARKER"]
    done = len(open(marker).read().splitlines()) if os.path.exists(marker) else 0
    if done >= int(os.environ.get("CRASH_TIMES", "1")):
        return real(io, r)
    with open(marker, "a") as f:
        f.write("crashed\n")
    sys.stderr.write("terminate called after throwing an instance of \x27std::system_error\x27\n  what():  Invalid argument\n")
    sys.stderr.flush()
    os.abort()
table[os.environ["CRASH_OP"]] = crash
session["main"]()
' "${@: -1}"
