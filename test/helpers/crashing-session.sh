#!/bin/bash
# A librados session whose process aborts, the way Ceph's C++ libraries abort it, the first time it is asked
# CRASH_OP (later processes find CRASH_MARKER and run normally). For CEPH_RBD_PYTHON: a real
# cluster cannot crash its clients' libraries on cue. Arguments: python's flags, then the script.
exec /usr/bin/python3 -E -S -c '
import os, runpy, sys
session = runpy.run_path(sys.argv[1], run_name="session")
table = session["OPS"] if os.environ["CRASH_OP"] in session["OPS"] else session["CLUSTER_OPS"]
real = table[os.environ["CRASH_OP"]]
def crash(io, r):
    if os.path.exists(os.environ["CRASH_MARKER"]):
        return real(io, r)
    open(os.environ["CRASH_MARKER"], "w").close()
    sys.stderr.write("terminate called after throwing an instance of \x27std::system_error\x27\n  what():  Invalid argument\n")
    sys.stderr.flush()
    os.abort()
table[os.environ["CRASH_OP"]] = crash
session["main"]()
' "${@: -1}"
