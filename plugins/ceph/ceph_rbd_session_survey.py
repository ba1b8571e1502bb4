# The GC's view of every image of a namespace, in two steps so that a pass opens only what changed.
# Opening an image costs librbd several round trips and a few milliseconds of CPU (3 ms on two
# cores, `rbd ls -l` alike): 30 s at 10,000 images. Everything an open tells the GC (size, parent,
# snapshots and their parents) lives in the omap of the image's header object, which one read
# returns in a fraction of that: image_headers digests it, and the GC opens (image_facts) only the
# images whose digest it has not seen.
import ceph_rbd_session_rbd as lib
from ceph_rbd_session_connect import rados

# Reads and opens in flight at once: librados and librbd release the GIL while they wait.
PARALLEL = 8
HEADER_PAGE = 1024
# Written by I/O and opens, not by anything the GC reads: left out, or every digest would change
# as VMs run.
NOT_FACTS = ("access_timestamp", "modify_timestamp")


def _header_digest(io, image_id):
    import hashlib

    h = hashlib.sha1()
    after = ""
    while True:
        with rados.ReadOpCtx() as op:
            it, _ = io.get_omap_vals(op, after, "", HEADER_PAGE)
            io.operate_read_op(op, "rbd_header." + image_id)
            page = list(it)
        for k, v in page:
            if k not in NOT_FACTS:
                for part in (k.encode("utf-8"), v or b""):
                    h.update(b"%d:" % len(part))
                    h.update(part)
        if len(page) < HEADER_PAGE:
            return h.hexdigest()[:24]
        after = page[-1][0]


# Imported here, not at the top: every verb's session imports this file, and only the GC uses it
# (concurrent.futures alone is ~20 ms of a session's start).
def _pooled(fn, items):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(PARALLEL) as ex:
        return list(ex.map(fn, items))


# Every image of the namespace: {id, name, digest}. An image whose header is gone (removed since
# the listing began, or not yet made by a create in progress) is left out, as `rbd ls -l` leaves
# out an image it cannot open for ENOENT.
def image_headers(io, r):
    def one(e):
        try:
            return {"id": e["id"], "name": e["name"], "digest": _header_digest(io, e["id"])}
        except rados.ObjectNotFound:
            return None

    return [x for x in _pooled(one, list(lib.rbd.RBD().list2(io))) if x is not None]


def _parent(im):
    try:
        p = im.get_parent_image_spec()
    except lib.rbd.ImageNotFound:
        return None
    return {"pool": p["pool_name"], "pool_namespace": p["pool_namespace"], "image": p["image_name"], "snapshot": p["snap_name"]}


# The rows `rbd ls -l` gives of each image asked ([{id, name}]): its head, then each user
# snapshot, with the parent each reads. An image gone meanwhile has no rows; any other failure
# fails the whole answer (a GC pass planned on a hole would drop what it did not see).
def image_facts(io, r):
    def one(e):
        try:
            with lib.rbd.Image(io, image_id=e["id"], read_only=True) as im:
                head = {"image": e["name"], "id": e["id"], "size": im.size()}
                parent = _parent(im)
                if parent:
                    head["parent"] = parent
                rows = [head]
                for s in sorted(im.list_snaps(), key=lambda s: s["id"]):
                    if lib.namespace_of(s) != "user":
                        continue
                    im.set_snap_by_id(s["id"])
                    row = {"image": e["name"], "id": e["id"], "snapshot": s["name"], "size": s["size"]}
                    parent = _parent(im)
                    if parent:
                        row["parent"] = parent
                    rows.append(row)
                return rows
        except (lib.rbd.ImageNotFound, rados.ObjectNotFound):
            return []

    return [row for rows in _pooled(one, r["images"]) for row in rows]


SURVEY_OPERATIONS = {"image_headers": image_headers, "image_facts": image_facts}
