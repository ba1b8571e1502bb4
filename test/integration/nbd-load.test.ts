// The rbd+nbd export under a long mixed load (issue #19): fio's nbd engine, two jobs (two NBD
// connections), each on its own half of the image, random reads and writes of 4 to 64 KiB for
// NBD_LOAD_SECONDS (default 600); each job reads back and checks what it wrote every 1024 writes
// while the load runs (verify_backlog), then the whole image is checked at the end: through the
// live export, and again through a fresh one after deactivate and detach.
//
// Why the final check is a sequential read of everything and not fio's replay of the load
// (verify_only, verify_state_load): fio 3.33 does not replay time_based jobs (tried: the replay
// covered one pass over the region and missed a block zeroed after the load). Instead, the
// image is first filled by fio, so every 4 KiB of it carries fio's header (its own offset) and
// crc32c (verify_interval=4k), and a read-only job checks each one, whichever write of the fill
// or of the load left it there. With mixed block sizes fio checks no write sequence number: a
// lost overwrite that left older fio data behind is not seen; corrupt, misplaced, torn or
// zeroed data is.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { identityOf } from "../../plugins/pid-file.js";
import { call } from "../helpers/run-verb.js";
import type { WireVolume } from "../helpers/sr.js";
import { summary } from "../helpers/summary.js";
import { HOST_A, MiB, s, host, dp, nbdOf, fenceWorld, type Backend } from "../helpers/fence-world.js";

fenceWorld();

const SECONDS = Number(process.env.NBD_LOAD_SECONDS ?? 600);
const SIZE = 1024 * MiB;
const JOBS = 2;

type Side = { io_bytes: number; iops: number };
type Fio = { code: unknown; log: string; jobs: Array<{ error: number; read: Side; write: Side }> };

// One fio run on the export, job i on the i-th slice of the image only: two jobs writing the same
// block would make each other's checks fail. No verify state file: nothing here reloads one.
function fio(nbd: string, name: string, extra: string[]): Promise<Fio> {
  const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd);
  const args = [
    `--name=${name}`,
    "--ioengine=nbd",
    `--uri=nbd+unix:///${m?.[2]}?socket=${m?.[1]}`,
    `--numjobs=${JOBS}`,
    `--size=${SIZE / JOBS}`,
    `--offset_increment=${SIZE / JOBS}`,
    "--verify=crc32c",
    "--verify_interval=4k",
    "--verify_state_save=0",
    "--output-format=json",
    ...extra,
  ];
  // Killed before vitest gives up on the test, so that no fio outlives the file.
  const opts = { maxBuffer: 64 * MiB, timeout: (SECONDS + 240) * 1000, killSignal: "SIGKILL" as const };
  return new Promise((resolve) =>
    execFile("fio", args, opts, (e, stdout, stderr) => {
      // fio prints its connections and errors before the JSON.
      const at = stdout.indexOf("\n{");
      let jobs: Fio["jobs"] = [];
      try {
        jobs = (JSON.parse(stdout.slice(at + 1)) as { jobs: Fio["jobs"] }).jobs;
      } catch {
        // No report: the exit status and the log say why.
      }
      resolve({ code: e ? (e.code ?? e.signal) : 0, log: `fio ${args.join(" ")}\n${stdout.slice(0, Math.max(at, 0))}\n${stderr}`.slice(-8000), jobs });
    }),
  );
}
const clean = (r: Fio) => {
  expect(r.code, r.log).toBe(0);
  expect(
    r.jobs.map((j) => j.error),
    r.log,
  ).toEqual(Array<number>(JOBS).fill(0));
};
const total = (r: Fio, f: (j: Fio["jobs"][number]) => number) => r.jobs.reduce((a, j) => a + f(j), 0);

// The export's daemon as pid and start time: a dead one reads undefined, a new one under the same pid differs.
const daemonOf = (nbd: string) => {
  const pid = Number(readFileSync(nbd.replace(/^nbd:unix:(.+)\.sock:exportname=.*$/, "$1.pid"), "utf8").trim());
  return { pid, start: identityOf(pid)?.start };
};

describe("the rbd+nbd export under a long mixed load", () => {
  let active: string | undefined;
  const up = async (uri: string) => {
    const nbd = nbdOf(await dp<Backend>("attach", uri, "3", host(HOST_A)));
    active = uri;
    await dp("activate", uri, "3", host(HOST_A));
    return nbd;
  };
  const down = async (uri: string) => {
    await dp("deactivate", uri, "3", host(HOST_A));
    await dp("detach", uri, "3", host(HOST_A));
    active = undefined;
  };
  // A failed test leaves no daemon behind on the machine.
  afterAll(async () => {
    if (active) await down(active).catch(() => undefined);
  });

  it(`survives ${SECONDS} s of mixed random I/O on two connections, checksums verified during and after`, { timeout: (SECONDS + 600) * 1000 }, async () => {
    const created = await call<WireVolume>("Volume.create", { sr: s.sr, name: "nbd-load", description: "", size: SIZE, sharable: false });
    const uri = created.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
    const nbd = await up(uri);
    const daemon = daemonOf(nbd);
    expect(daemon.start).toBeDefined();
    clean(await fio(nbd, "fill", ["--rw=write", "--bs=1M", "--iodepth=16", "--do_verify=0"]));

    const t0 = Date.now();
    const load = await fio(nbd, "load", [
      "--rw=randrw",
      "--bssplit=4k/40:16k/30:64k/30",
      "--iodepth=16",
      "--time_based",
      `--runtime=${SECONDS}`,
      "--verify_backlog=1024",
    ]);
    const seconds = (Date.now() - t0) / 1000;
    expect(daemonOf(nbd), "the export's qemu-storage-daemon after the load").toEqual(daemon);
    clean(load);

    const check = async (at: string) => {
      const r = await fio(at, "check", ["--rw=read", "--bs=1M", "--iodepth=16"]);
      clean(r);
      expect(total(r, (j) => j.read.io_bytes)).toBe(SIZE);
      return SIZE;
    };
    let verified = await check(nbd);
    await down(uri);
    // Whatever the stopped daemon held and had not written to RBD would be lost now.
    verified += await check(await up(uri));
    await down(uri);

    summary("nbd-load", {
      seconds: seconds.toFixed(0),
      iops: total(load, (j) => j.read.iops + j.write.iops).toFixed(0),
      written_bytes: total(load, (j) => j.write.io_bytes),
      load_read_bytes: total(load, (j) => j.read.io_bytes),
      verified_bytes: verified,
    });
  });
});
