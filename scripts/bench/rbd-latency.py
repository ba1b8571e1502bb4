# Random 4 KiB reads through librbd, one at a time, each timed: the librbd side of the datapath
# benchmark's 1-in-flight latency row (rbd bench prints no latency percentiles, and fio's rbd
# engine cannot open an image in a RADOS namespace). librbd's cache is off, as the export's is.
#   python3 rbd-latency.py --conf CONF --id USER POOL NAMESPACE IMAGE SIZE OPS
# prints {"ops", "p50_us", "p99_us", "mean_us"}.
import json
import random
import sys
import time

import rados
import rbd


def main(argv):
    conf, user, pool, namespace, image, size, ops = argv[2], argv[4], argv[5], argv[6], argv[7], int(argv[8]), int(argv[9])
    cluster = rados.Rados(conffile=conf, rados_id=user)
    cluster.conf_set("rbd_cache", "false")
    cluster.connect()
    try:
        ioctx = cluster.open_ioctx(pool)
        ioctx.set_namespace(namespace)
        with rbd.Image(ioctx, image) as img:
            blocks = size // 4096
            times = []
            for _ in range(ops):
                offset = random.randrange(blocks) * 4096
                t0 = time.perf_counter()
                img.read(offset, 4096)
                times.append(time.perf_counter() - t0)
        ioctx.close()
    finally:
        cluster.shutdown()
    times.sort()
    us = [t * 1e6 for t in times]
    print(json.dumps({"ops": ops, "p50_us": us[len(us) // 2], "p99_us": us[min(len(us) - 1, int(len(us) * 0.99))], "mean_us": sum(us) / len(us)}))


if __name__ == "__main__":
    main(sys.argv)
