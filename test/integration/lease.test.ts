// Lock leases: a holder renews its lease for as long as its work runs, and a holder that stalls
// past its lease (a frozen host) and finds its lock taken over commits nothing: each omap write
// under a lock asserts, in the same RADOS write, that the lock is still held.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { withLock } from "../../plugins/ceph/locks.js";
import { omapList, omapSet } from "../../plugins/ceph/rados.js";
import { closeSessions } from "../../plugins/ceph/session.js";
import { createLogger } from "../../plugins/log.js";
import { META_OBJECT } from "../../plugins/wire/sr-object.js";
import { parseSrPlace } from "../../volume/sr/sr-place.js";
import { inspectSr, problemsOf } from "../helpers/inspect.js";
import { call, runAdmin, startExecutable, VOLUME_DIR, type WireError } from "../helpers/run-verb.js";
import { processes } from "../helpers/processes.js";
import { serviceRunDir, servicesOf } from "../helpers/service.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 2 ** 20;
// A run directory of this file's own: with the session service on, its locks are taken through
// a service of its own, which the rehoming test kills.
const run = serviceRunDir();
process.env.CEPH_RBD_RUN_DIR = run;

let s: TestSr;
beforeAll(async () => {
  s = await makeSr();
});

const rados = (args: string[]) =>
  execFileSync("rados", ["--conf", s.conf, "--pool", s.pool, "--namespace", s.namespace, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const lockers = (lock: string) =>
  (JSON.parse(rados(["lock", "info", META_OBJECT, lock, "--format", "json"])) as { lockers: Array<{ name: string; cookie: string }> }).lockers;
// Another client (the rados CLI) trying to take the lock: true if it got it (and let it go).
const othersTake = (lock: string): boolean => {
  try {
    rados(["lock", "get", META_OBJECT, lock, "--lock-cookie", "other", "--lock-duration", "1"]);
  } catch {
    return false;
  }
  rados(["lock", "break", META_OBJECT, lock, lockers(lock).find((l) => l.cookie === "other")?.name ?? "", "--lock-cookie", "other"]);
  return true;
};

const stopped = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
};

describe("a lock's lease", () => {
  it("held past it by a frozen verb, taken over and rolled back by another: the frozen verb commits nothing", async () => {
    const vol = await call<WireVolume>("Volume.create", { sr: s.sr, name: "lease", description: "", size: 4 * MiB, sharable: false });
    const before = await call<WireVolume[]>("SR.ls", { sr: s.sr });
    // Frozen between its snapshot and its commit, the lease of 2 s long gone.
    const frozen = startExecutable(join(VOLUME_DIR, "Volume.snapshot"), JSON.stringify({ dbg: "frozen", sr: s.sr, key: vol.key }), ["--json"], {
      CEPH_RBD_LOCK_LEASE: "2",
      CEPH_RBD_PAUSE_AT: "snapshot:snap",
      CEPH_RBD_HOST_UUID: "frozen-host",
    });
    try {
      for (const until = Date.now() + 60_000; !stopped(frozen.pid); await sleep(50))
        if (Date.now() > until) throw new Error("the verb never reached its pause point");
      await sleep(3000);
      // Another host's verb on the volume takes the lock and rolls the frozen one's entry back.
      await call("Volume.resize", { sr: s.sr, key: vol.key, new_size: 4 * MiB }, { CEPH_RBD_HOST_UUID: "other-host" });
      expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
    } finally {
      process.kill(frozen.pid, "SIGCONT");
    }
    const r = await frozen.done;
    expect(r.code, r.stdout).not.toBe(0);
    const e = r.json as WireError;
    expect(e.params[0], r.stdout).toBe("Lock_lost");
    expect(e.params[1]).toMatch(/lock vol:.* was lost/);
    // Nothing of the frozen verb survives: no record of a snapshot that no longer exists.
    expect(await call<WireVolume[]>("SR.ls", { sr: s.sr })).toEqual(before);
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
    // And the next verb finds nothing to finish either.
    await call("Volume.resize", { sr: s.sr, key: vol.key, new_size: 4 * MiB });
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
    const fsck = await runAdmin(["fsck", "--sr", s.sr, "--json"]);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.json, fsck.stdout).toMatchObject({ clean: true });
  });

  describe("in this process", () => {
    const sr = () => ({ place: parseSrPlace(s.sr), log: createLogger("lease-test") });

    it("is renewed while the work runs: held at three times its length, by nobody else, and the work's write succeeds", async () => {
      const prev = process.env.CEPH_RBD_LOCK_LEASE;
      process.env.CEPH_RBD_LOCK_LEASE = "1";
      try {
        const taken: boolean[] = [];
        await withLock(sr(), "lease-renewed", async () => {
          for (let i = 0; i < 6; i++) {
            await sleep(500);
            taken.push(othersTake("lease-renewed"));
          }
          await omapSet(sr().place, sr().log, META_OBJECT, "test:renewed", "yes");
        });
        expect(taken).toEqual([false, false, false, false, false, false]);
        expect((await omapList(sr().place, sr().log, META_OBJECT)).get("test:renewed")).toBe("yes");
        expect(lockers("lease-renewed")).toEqual([]);
      } finally {
        if (prev === undefined) delete process.env.CEPH_RBD_LOCK_LEASE;
        else process.env.CEPH_RBD_LOCK_LEASE = prev;
        closeSessions();
      }
    });

    it("broken by another client: the next write under it fails Lock_lost and writes nothing", async () => {
      try {
        const failure = await withLock(sr(), "lease-broken", async () => {
          await omapSet(sr().place, sr().log, META_OBJECT, "test:broken", "before");
          const mine = lockers("lease-broken");
          expect(mine).toHaveLength(1);
          rados(["lock", "break", META_OBJECT, "lease-broken", mine[0]?.name ?? "", "--lock-cookie", mine[0]?.cookie ?? ""]);
          return omapSet(sr().place, sr().log, META_OBJECT, "test:broken", "after").then(
            () => undefined,
            (e: unknown) => e,
          );
        });
        expect(failure).toMatchObject({ name: "Lock_lost", params: ["Lock_lost", expect.stringMatching(/lock lease-broken was lost/)] });
        expect((await omapList(sr().place, sr().log, META_OBJECT)).get("test:broken")).toBe("before");
      } finally {
        closeSessions();
      }
    });

    // Ceph's C++ libraries abort the session's whole process now and then; a read is then asked
    // again of a new session, another librados client, which the lock does not name.
    it("held by a session that died: the new session takes it again (same cookie), and the work's write lands", async () => {
      try {
        const outcome = await withLock(sr(), "lease-rehomed", async () => {
          const before = lockers("lease-rehomed");
          expect(before).toHaveLength(1);
          // What serves this process's session: its own Python, or the session service.
          const helpers = [
            ...processes()
              .filter((p) => p.ppid === process.pid && p.argv.some((a) => a.endsWith("ceph-session.py")))
              .map((p) => p.pid),
            ...servicesOf(run),
          ];
          expect(helpers.length).toBeGreaterThan(0);
          for (const pid of helpers) process.kill(pid, "SIGKILL");
          await omapList(sr().place, sr().log, META_OBJECT);
          await omapSet(sr().place, sr().log, META_OBJECT, "test:rehomed", "yes");
          return { before, after: lockers("lease-rehomed").map(({ name, cookie }) => ({ name, cookie })) };
        });
        expect(outcome.after).toEqual([{ name: expect.not.stringMatching(`^${outcome.before[0]?.name}$`), cookie: outcome.before[0]?.cookie }]);
        expect((await omapList(sr().place, sr().log, META_OBJECT)).get("test:rehomed")).toBe("yes");
        expect(lockers("lease-rehomed")).toEqual([]);
      } finally {
        closeSessions();
      }
    });
  });
});
