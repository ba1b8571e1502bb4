#!/bin/bash
# The system Python with its UTF-8 mode off, for CEPH_RBD_PYTHON: under LC_ALL=C its standard
# streams are then ASCII, as those of XCP-ng 8.3's Python 3.6 (which has no UTF-8 mode) are.
exec /usr/bin/python3 -X utf8=0 "$@"
