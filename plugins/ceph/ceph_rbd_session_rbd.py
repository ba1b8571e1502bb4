# The session's RBD operations (ceph-session.py serves them): images, snapshots, the trash and
# namespaces, through librbd's binding, which loads on a thread of its own.
import threading

from ceph_rbd_session_connect import Failure, rados

# librbd loads (about 15 ms) on a thread of its own while the session connects: RADOS operations,
# the first ones of every verb, need not wait for it; RBD operations do (need_rbd()).
rbd = None
FEATURES = {}
SNAP_NAMESPACES = {}
rbd_loaded = threading.Event()
rbd_failure = []


# Image features and snapshot namespaces by the names Node uses, and the constant of each in the
# binding. Those marked optional are younger than the oldest client supported: Nautilus's binding
# lacks them (Octopus added mirror snapshots and RBD_FEATURE_NON_PRIMARY). A binding without one
# neither reports nor creates that feature, which its librbd does not know either; a missing
# constant of any other feature is a binding this helper cannot serve.
FEATURE_CONSTANTS = [
    ("layering", "RBD_FEATURE_LAYERING", False),
    ("striping", "RBD_FEATURE_STRIPINGV2", False),
    ("exclusive-lock", "RBD_FEATURE_EXCLUSIVE_LOCK", False),
    ("object-map", "RBD_FEATURE_OBJECT_MAP", False),
    ("fast-diff", "RBD_FEATURE_FAST_DIFF", False),
    ("deep-flatten", "RBD_FEATURE_DEEP_FLATTEN", False),
    ("journaling", "RBD_FEATURE_JOURNALING", False),
    ("data-pool", "RBD_FEATURE_DATA_POOL", False),
    ("operations", "RBD_FEATURE_OPERATIONS", False),
    ("migrating", "RBD_FEATURE_MIGRATING", False),
    ("non-primary", "RBD_FEATURE_NON_PRIMARY", True),
]
NAMESPACE_CONSTANTS = [
    ("user", "RBD_SNAP_NAMESPACE_TYPE_USER", False),
    ("group", "RBD_SNAP_NAMESPACE_TYPE_GROUP", False),
    ("trash", "RBD_SNAP_NAMESPACE_TYPE_TRASH", False),
    ("mirror", "RBD_SNAP_NAMESPACE_TYPE_MIRROR", True),
]


def constants(module, table):
    found = {}
    for name, constant, optional in table:
        if hasattr(module, constant):
            found[name] = getattr(module, constant)
        elif not optional:
            raise ImportError("the rbd binding %s has no %s" % (getattr(module, "__file__", "?"), constant))
    return found


def load_rbd():
    global rbd, FEATURES, SNAP_NAMESPACES
    try:
        import rbd as module

        FEATURES = constants(module, FEATURE_CONSTANTS)
        SNAP_NAMESPACES = dict((v, k) for k, v in constants(module, NAMESPACE_CONSTANTS).items())
        rbd = module
    except Exception as e:  # reported by each RBD operation
        rbd_failure.append(e)
    finally:
        rbd_loaded.set()


def need_rbd():
    rbd_loaded.wait()
    if rbd is None:
        raise Failure(95, "the python rbd module cannot be loaded: %s" % rbd_failure[0])


def feature_mask(names):
    mask = 0
    for n in names:
        if n not in FEATURES:
            raise Failure(22, "image feature %s is unknown to this Ceph client's rbd binding" % n)
        mask |= FEATURES[n]
    return mask


def feature_names(mask):
    return [n for n, bit in FEATURES.items() if mask & bit]


def image_info(io, r):
    with rbd.Image(io, r["image"], read_only=True) as im:
        st = im.stat()
        info = {"name": r["image"], "id": im.id(), "size": st["size"], "object_size": st["obj_size"], "features": feature_names(im.features())}
        try:
            p = im.get_parent_image_spec()
            info["parent"] = {"pool": p["pool_name"], "image": p["image_name"], "snapshot": p["snap_name"]}
        except rbd.ImageNotFound:
            pass
        return info


# The clients watching the image's header, as `rbd status` lists them (a read-only open adds no
# watch of its own): what an activation tells its own export's client by, without a CLI.
def image_watchers(io, r):
    with rbd.Image(io, r["image"], read_only=True) as im:
        return [{"address": w["addr"], "client": w["id"]} for w in im.watchers_list()]


def image_resize(io, r):
    with rbd.Image(io, r["image"]) as im:
        im.resize(r["bytes"], allow_shrink=r["shrink"])


def snap_create(io, r):
    with rbd.Image(io, r["image"]) as im:
        im.create_snap(r["snap"])


def snap_remove(io, r):
    with rbd.Image(io, r["image"]) as im:
        im.remove_snap(r["snap"])


# list_snaps lists every namespace (user, trash...); older bindings name none: user snapshots.
def namespace_of(snap):
    return SNAP_NAMESPACES.get(snap.get("namespace"), "user")


def snap_list(io, r):
    with rbd.Image(io, r["image"], read_only=True) as im:
        return [{"id": s["id"], "name": s["name"], "size": s["size"], "namespace": {"type": namespace_of(s)}} for s in im.list_snaps()]


# What `rbd du` reports for the head or one user snapshot, without its pass over every image of
# the namespace and every snapshot before the one asked: the objects written since the user
# snapshot before it, whole objects as fast-diff counts them, the parent's data left out.
def image_du(io, r):
    with rbd.Image(io, r["image"], read_only=True) as im:
        names = [s["name"] for s in sorted(im.list_snaps(), key=lambda s: s["id"]) if namespace_of(s) == "user"]
        snap = r.get("snap")
        if snap is None:
            since = names[-1] if names else None
        elif snap in names:
            at = names.index(snap)
            since = names[at - 1] if at > 0 else None
            im.set_snap(snap)
        else:
            raise Failure(2, "no snapshot %s of %s" % (snap, r["image"]))
        # A zero-sized head (or snapshot) after a larger snapshot trips an assertion in librbd's
        # diff (Pacific), which aborts this whole process, every operation of the verb with it.
        # It holds nothing.
        if im.size() == 0:
            return 0
        used = [0]

        def count(offset, length, exists):
            if exists:
                used[0] += length
            return 0

        im.diff_iterate(0, im.size(), since, count, include_parent=False, whole_object=True)
        return used[0]


def trash_snap_count(io, r):
    with rbd.Image(io, image_id=r["image_id"], read_only=True) as im:
        return len(list(im.list_snaps()))


# Every entry, with the images it still reads: its head's parent, and the parent of each of its
# snapshots. A reclaimed clone's head reads nothing any more, but a snapshot of it, even one
# removed into the trash namespace because a clone reads it in turn, keeps its parent until it
# goes. An entry whose image is gone (a purge in progress removes the header before the entry)
# reads nothing: it is listed without parents.
def trash_list(io, r):
    out = []
    for e in rbd.RBD().trash_list(io):
        parents = []
        try:
            with rbd.Image(io, image_id=e["id"], read_only=True) as im:
                for snap_id in [None] + [s["id"] for s in im.list_snaps()]:
                    try:
                        if snap_id is not None:
                            im.set_snap_by_id(snap_id)
                        name = im.get_parent_image_spec()["image_name"]
                    except rbd.ImageNotFound:
                        continue  # no parent at this point in the image's history, or no snapshot any more
                    if name not in parents:
                        parents.append(name)
        except (rbd.ImageNotFound, rados.ObjectNotFound):
            pass  # no image any more
        out.append({"id": e["id"], "name": e["name"], "parents": parents})
    return out


# Each runs after need_rbd().
RBD_OPERATIONS = {
    "image_create": lambda io, r: rbd.RBD().create(io, r["image"], r["bytes"], old_format=False, features=feature_mask(r["features"])),
    "image_info": image_info,
    "image_watchers": image_watchers,
    "image_list": lambda io, r: rbd.RBD().list(io),
    "image_resize": image_resize,
    "image_remove": lambda io, r: rbd.RBD().remove(io, r["image"]),
    "trash_move": lambda io, r: rbd.RBD().trash_move(io, r["image"], 0),
    "snap_create": snap_create,
    "snap_remove": snap_remove,
    "snap_list": snap_list,
    "image_du": image_du,
    "trash_snap_count": trash_snap_count,
    "trash_list": trash_list,
    "clone": lambda io, r: rbd.RBD().clone(io, r["parent"], r["snap"], io, r["image"], features=feature_mask(r["features"])),
    "ns_create": lambda io, r: rbd.RBD().namespace_create(io, r["name"]),
    "ns_remove": lambda io, r: rbd.RBD().namespace_remove(io, r["name"]),
    "ns_list": lambda io, r: rbd.RBD().namespace_list(io),
}
