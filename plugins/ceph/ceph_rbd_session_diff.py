# The session's diff of two points of an image (ceph-session.py serves it, after need_rbd()):
# what Volume.list_changed_blocks turns into xapi's changed-block bitmap.
import threading

import ceph_rbd_session_rbd as lib
from ceph_rbd_session_connect import Failure


# A diff_iterate callback gathering extents into `into`, adjacent ones merged.
def merging(into):
    def add(offset, length, exists):
        if into and into[-1][0] + into[-1][1] == offset:
            into[-1][1] += length
        else:
            into.append([offset, length])
        return 0

    return add


# The exact extents within the changed objects `coarse`, asked REFINERS runs at a time: each run
# costs a round trip per object (its snapshots listed), and librbd's diff releases the GIL.
REFINERS = 8


def refine(im, since, coarse):
    parts = [[] for _ in coarse]

    def one(i):
        offset, length = coarse[i]
        im.diff_iterate(offset, length, since, merging(parts[i]), include_parent=False, whole_object=False)

    failures = []

    def worker(ids):
        try:
            for i in ids:
                one(i)
        except Exception as e:  # raised again on the session's thread
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(range(k, len(coarse), REFINERS),)) for k in range(min(REFINERS, len(coarse)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    out = []
    add = merging(out)
    for part in parts:
        for offset, length in part:
            add(offset, length, True)
    return out


# The extents that differ between user snapshot `since` and `snap` (the head when absent), as
# librbd's diff reports them, exact to the byte (a discard counts: it changed what the disk reads).
# The parent is left out: both ends are points of this one image, and a parent snapshot never
# changes. With a valid fast-diff, a whole-object pass reads the object map and names the objects
# that changed; only those are then asked for their exact extents, so the work follows what
# changed and not the image's size. Without it, one exact pass lists every object's snapshots:
# the same answer, slower. `since` taken after `snap` answers {"backwards": true}; `size` is the
# end point's, as the diff found it.
def image_diff(io, r):
    with lib.rbd.Image(io, r["image"], snapshot=r.get("snap"), read_only=True) as im:
        ids = dict((s["name"], s["id"]) for s in im.list_snaps() if lib.namespace_of(s) == "user")
        if r["since"] not in ids or (r.get("snap") is not None and r["snap"] not in ids):
            raise Failure(2, "no snapshot %s of %s" % (r["since"], r["image"]))
        if r.get("snap") is not None and ids[r["since"]] > ids[r["snap"]]:
            return {"backwards": True, "extents": [], "fast": False, "size": im.size()}
        size = im.size()
        start = min(r["offset"], size)
        end = size if r["length"] < 0 else min(r["offset"] + r["length"], size)
        out = []
        exact = merging(out)
        if end <= start:
            return {"backwards": False, "extents": out, "fast": False, "size": size}
        invalid = getattr(lib.rbd, "RBD_FLAG_FAST_DIFF_INVALID", 0) | getattr(lib.rbd, "RBD_FLAG_OBJECT_MAP_INVALID", 0)
        fast = bool(im.features() & lib.rbd.RBD_FEATURE_FAST_DIFF) and not im.flags() & invalid
        if not fast:
            im.diff_iterate(start, end - start, r["since"], exact, include_parent=False, whole_object=False)
            return {"backwards": False, "extents": out, "fast": False, "size": size}
        coarse = []
        im.diff_iterate(start, end - start, r["since"], merging(coarse), include_parent=False, whole_object=True)
        return {"backwards": False, "extents": refine(im, r["since"], coarse), "fast": True, "size": size}


DIFF_OPERATIONS = {"image_diff": image_diff}
