# A stand-in for Python's rbd binding, beside the stand-in rados (session-helper.test.ts): images
# in memory, and the constants of the release it plays. STUB_RBD=nautilus plays Nautilus 14.2's
# binding, which lacks the constants Octopus added.
import os

RBD_FEATURE_LAYERING = 1
RBD_FEATURE_STRIPINGV2 = 2
RBD_FEATURE_EXCLUSIVE_LOCK = 4
RBD_FEATURE_OBJECT_MAP = 8
RBD_FEATURE_FAST_DIFF = 16
RBD_FEATURE_DEEP_FLATTEN = 32
RBD_FEATURE_JOURNALING = 64
RBD_FEATURE_DATA_POOL = 128
RBD_FEATURE_OPERATIONS = 256
RBD_FEATURE_MIGRATING = 512
RBD_FEATURE_NON_PRIMARY = 1024
RBD_SNAP_NAMESPACE_TYPE_USER = 0
RBD_SNAP_NAMESPACE_TYPE_GROUP = 1
RBD_SNAP_NAMESPACE_TYPE_TRASH = 2
RBD_SNAP_NAMESPACE_TYPE_MIRROR = 3
if os.environ.get("STUB_RBD") == "nautilus":
    del RBD_FEATURE_NON_PRIMARY, RBD_SNAP_NAMESPACE_TYPE_MIRROR

IMAGES = {}


class ImageNotFound(Exception):
    errno = 2


class RBD(object):
    def create(self, io, name, size, old_format=False, features=0):
        IMAGES[name] = {"size": size, "features": features}

    def list(self, io):
        return sorted(IMAGES)


class Image(object):
    def __init__(self, io, name=None, read_only=False, image_id=None):
        if name not in IMAGES:
            raise ImageNotFound("no image %s" % name)
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def stat(self):
        return {"size": IMAGES[self.name]["size"], "obj_size": 4194304}

    def id(self):
        return "id-" + self.name

    def features(self):
        return IMAGES[self.name]["features"]

    def get_parent_image_spec(self):
        raise ImageNotFound("no parent")

    def list_snaps(self):
        return iter([])
