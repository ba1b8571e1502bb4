// Facts written once: "not found is fine" (ignoreNotFound), process liveness (process.ts), the
// metadata key spellings (layout.ts, wire/sr-object.ts). These scan the sources for the old
// second spellings, so a new copy fails here.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CephError, ignoreNotFound, isNotFound } from "../../plugins/ceph/errors.js";
import { isAlive, signal, waitGone } from "../../plugins/process.js";
import { codeLines } from "../helpers/sources.js";

describe("not found is fine, written once", () => {
  it("ignoreNotFound gives the result, or undefined for not_found, and lets anything else through", async () => {
    await expect(ignoreNotFound(Promise.resolve(3))).resolves.toBe(3);
    await expect(ignoreNotFound(Promise.reject(new CephError("not_found", "rbd info x", "no such image")))).resolves.toBeUndefined();
    await expect(ignoreNotFound(Promise.reject(new CephError("busy", "rbd rm x", "busy")))).rejects.toThrow("busy");
    await expect(ignoreNotFound(Promise.reject(new Error("not_found")))).rejects.toThrow("not_found");
    expect(isNotFound(new CephError("not_found", "c", ""))).toBe(true);
    expect(isNotFound({ kind: "not_found" })).toBe(false);
  });

  it("no code outside errors.ts tests a CephError for not_found by hand", () => {
    expect(codeLines(/instanceof CephError && \(?\w+\.kind === "not_found"\)/, ["plugins/ceph/errors.ts"])).toEqual([]);
  });
});

describe("process liveness, written once", () => {
  it("signal tolerates a process already gone; waitGone says whether the process went in time", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const pid = child.pid as number;
    const exited = new Promise((r) => child.on("exit", r));
    expect(isAlive(pid)).toBe(true);
    expect(await waitGone(() => isAlive(pid), 100)).toBe(false);
    signal(pid, "SIGKILL");
    await exited;
    expect(isAlive(pid)).toBe(false);
    expect(() => signal(pid, "SIGTERM")).not.toThrow();
    expect(await waitGone(() => isAlive(pid), 100)).toBe(true);
  });

  it("no code outside process.ts signals another process or handles ESRCH itself", () => {
    expect(codeLines(/ESRCH|process\.kill\((?!process\.pid,)/, ["plugins/process.ts"])).toEqual([]);
  });
});

describe("metadata key spellings, written once", () => {
  it("only layout.ts and wire/sr-object.ts spell an omap key or a lock name", () => {
    const spelled = /["'`]((vol|act|tomb|op|gone|use|nam|dsc|key):|gc:(status|usage-cursor)|sr:(config|name|description)|ceph_rbd_sr)|withLock\([^,]+, *["'`]/;
    expect(codeLines(spelled, ["plugins/wire/sr-object.ts", "volume/meta/layout.ts"])).toEqual([]);
  });
});
