# The session's operations by name, for both servers of them: ceph-session.py (one Node process,
# over pipes) and ceph-session-service.py (every verb of the host, over a unix socket).
from ceph_rbd_session_connect import Failure
from ceph_rbd_session_diff import DIFF_OPERATIONS
from ceph_rbd_session_rados import CLUSTER_OPERATIONS, RADOS_OPERATIONS
from ceph_rbd_session_rbd import RBD_OPERATIONS, need_rbd
from ceph_rbd_session_survey import SURVEY_OPERATIONS

CLUSTER_OPS = CLUSTER_OPERATIONS
RADOS_OPS = set(RADOS_OPERATIONS)
OPS = dict(RADOS_OPERATIONS)
OPS.update(RBD_OPERATIONS)
OPS.update(DIFF_OPERATIONS)
OPS.update(SURVEY_OPERATIONS)


# Runs one request ({op, pool, ns, ...}) on the session's cluster; its result, or an exception
# whose errno Node maps to its error kinds.
def perform(session, req):
    op = req.get("op")
    if op in CLUSTER_OPS:
        return CLUSTER_OPS[op](session, req)
    if op in OPS:
        if op not in RADOS_OPS:
            need_rbd()
        return OPS[op](session.ioctx(req["pool"], req.get("ns", "")), req)
    raise Failure(22, "unknown operation %r" % op)


# The errno an exception carries (0 for none) and its message, as both servers answer them.
def failure_of(e):
    errno = getattr(e, "errno", None)
    return (errno if isinstance(errno, int) else 0), "%s: %s" % (type(e).__name__, e)
