#!/bin/bash
# A librados session whose answer pipe (fd 3; stdout for a helper that answers there) first
# carries lines that are no answers: a library's stray output, a malformed line, answers to no
# request. For CEPH_RBD_PYTHON. Arguments: python's flags, then the script.
exec /usr/bin/python3 -E -S -c '
import os, runpy, sys
try:
    os.fstat(3)
    fd = 3
except OSError:
    fd = 1
os.write(fd, b"stray text from a library\n{\"id\": 99999, \"ok\": 1}\n{\"id\": \"x\"}\n[1, 2]\n{\"id\": 1, \"errno\": \"x\"}\nnull\n\n")
runpy.run_path(sys.argv[1], run_name="__main__")
' "${@: -1}"
