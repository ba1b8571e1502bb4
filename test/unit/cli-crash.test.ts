// runCeph when the tool dies of a signal (Ceph's C++ libraries abort their process on some
// races): a read is run once more, a write never; the error says what the tool said as it died,
// not what its crash dump's log lines happen to contain. The dying tool is a fake on PATH
// (test/helpers/crashing-cli/rbd): no cluster crashes a client on cue.
import { describe, expect, it } from "vitest";
import { CephError } from "../../plugins/ceph/errors.js";
import { runCeph } from "../../plugins/ceph/exec.js";
import type { Logger } from "../../plugins/log.js";
import { crashingRbd } from "../helpers/crashing-rbd.js";

const LAST_WORDS = "terminate called after throwing an instance of 'std::system_error' / what(): Invalid argument / *** Caught signal (Aborted) **";

// Runs `rbd <args>` through the fake (found on the call's own PATH), which crashes `times` times
// and then runs `real`.
async function run(args: string[], opts: { read?: true; times: number; real?: string; deadlineMs?: number }) {
  const crash = crashingRbd({ times: opts.times, real: opts.real ?? "/bin/echo" });
  const warnings: string[] = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, warning: (m) => warnings.push(m), error: () => undefined, flush: () => undefined };
  let stdout: string | undefined;
  let error: unknown;
  try {
    stdout = await runCeph({ tool: "rbd", args, connection: [], log, env: crash.env, read: opts.read, deadlineMs: opts.deadlineMs ?? 20_000 });
  } catch (e) {
    error = e;
  }
  return { stdout, error, warnings, crashes: crash.crashes() };
}

describe("a Ceph tool that dies of a signal", () => {
  it("under a read: runs it once more, answers, and logs why with the backtrace", async () => {
    const r = await run(["ls", "--long", "pool/ns"], { read: true, times: 1 });
    expect(r).toMatchObject({ stdout: "ls --long pool/ns\n", crashes: 1 });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain(`rbd ls --long pool/ns died of SIGABRT: ${LAST_WORDS}`);
    expect(r.warnings[0]).toContain("; running it again; backtrace: 1: /lib/x86_64-linux-gnu/libpthread.so.0(+0x13140)");
  });

  it("under a read, twice: fails with the tool's last words, classified as nothing in its dump", async () => {
    const r = await run(["status", "pool/ns/img"], { read: true, times: 2 });
    expect(r.crashes).toBe(2);
    const e = r.error as CephError;
    expect(e).toBeInstanceOf(CephError);
    // The dump holds "(17) File exists": classifying it would call the crash "exists".
    expect(e.kind).toBe("failed");
    expect(e.params).toEqual(["Ceph_error", `rbd status pool/ns/img: died of SIGABRT: ${LAST_WORDS}`]);
    expect(r.warnings).toHaveLength(2);
  });

  it("under a write: fails at once, repeating nothing", async () => {
    const r = await run(["trash", "rm", "pool/ns/id"], { times: 2 });
    expect(r.crashes).toBe(1);
    expect((r.error as CephError).kind).toBe("failed");
    expect((r.error as CephError).stderr).toBe(`died of SIGABRT: ${LAST_WORDS}`);
  });

  it("killed by the call's own deadline: a timeout, not a death, and not run again", async () => {
    const started = Date.now();
    const r = await run(["30"], { read: true, times: 0, real: "sleep", deadlineMs: 1500 });
    expect((r.error as CephError).kind).toBe("timeout");
    expect(r.warnings.filter((w) => w.includes("running it again"))).toEqual([]);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
