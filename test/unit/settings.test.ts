// Every CEPH_RBD_* setting has one home (plugins/settings.ts): one parsing rule, its docs
// generated from the same table, and no reader elsewhere.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../plugins/log.js";
import { setting, SETTINGS, takeSettingWarnings } from "../../plugins/settings.js";
import { settingsDoc } from "../../plugins/settings-doc.js";
import { codeLines } from "../helpers/sources.js";

// The logger's stderr lines, as it writes them (plugins/std-write.ts writes to fd 2 directly).
const stderr = vi.hoisted(() => [] as string[]);
vi.mock("../../plugins/std-write.js", () => ({
  writeStd: (fd: number, text: string) => {
    if (fd === 2) stderr.push(text);
    return Promise.resolve();
  },
}));

const root = join(__dirname, "..", "..");
const saved = { ...process.env };
afterEach(() => {
  for (const s of Object.values(SETTINGS)) {
    if (saved[s.env] === undefined) delete process.env[s.env];
    else process.env[s.env] = saved[s.env];
  }
  takeSettingWarnings();
});

describe("settings", () => {
  it("docs/settings.md is what the table says (node scripts/settings-doc.mjs rewrites it)", () => {
    expect(readFileSync(join(root, "docs", "settings.md"), "utf8")).toBe(settingsDoc());
  });

  it("no code outside settings.ts reads or names a CEPH_RBD_ variable", () => {
    expect(codeLines(/CEPH_RBD_[A-Z]/, ["plugins/settings.ts"])).toEqual([]);
  });

  it("reads the environment at each call", () => {
    process.env.CEPH_RBD_LOCK_LEASE = "7";
    expect(setting("lockLease")).toBe(7);
    process.env.CEPH_RBD_LOCK_LEASE = "0.5";
    expect(setting("lockLease")).toBe(0.5);
    delete process.env.CEPH_RBD_LOCK_LEASE;
    expect(setting("lockLease")).toBe(60);
    expect(takeSettingWarnings()).toEqual([]);
  });

  it.each([
    ["lockWait", "CEPH_RBD_LOCK_WAIT", "soon", 45],
    ["opTimeout", "CEPH_RBD_OP_TIMEOUT", "-3", 30],
    ["gcStopGrace", "CEPH_RBD_GC_STOP_GRACE_MS", "", 5000],
    ["gcSoftDepth", "CEPH_RBD_GC_SOFT_DEPTH", "2.5", 8],
    ["logStderr", "CEPH_RBD_LOG_STDERR", "loud", "info"],
    ["gc", "CEPH_RBD_GC", "maybe", "on"],
    ["runDir", "CEPH_RBD_RUN_DIR", "relative/dir", "/run/ceph-rbd"],
    ["testMode", "CEPH_RBD_TEST_MODE", "yes", false],
  ] as const)("%s: an unusable value (%s=%j) gives the default and one warning", (name, env, raw, fallback) => {
    takeSettingWarnings();
    process.env[env] = raw;
    expect(setting(name)).toBe(fallback);
    expect(setting(name)).toBe(fallback);
    const warnings = takeSettingWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(env);
  });

  it("the warning reaches the log once", () => {
    process.env.CEPH_RBD_LOCK_LEASE = "forever";
    setting("lockLease");
    stderr.length = 0;
    const log = createLogger("settings");
    log.info("one");
    log.info("two");
    const lines = [...stderr];
    expect(lines.filter((l) => l.includes("WARNING") && l.includes("CEPH_RBD_LOCK_LEASE"))).toHaveLength(1);
    expect(lines).toHaveLength(3);
  });

  it("test-only settings are their default outside test mode, and honoured in it", () => {
    process.env.CEPH_RBD_SYSFS_RBD = "/tmp/elsewhere";
    process.env.CEPH_RBD_GC_TRACE = "/tmp/trace";
    delete process.env.CEPH_RBD_TEST_MODE;
    expect(setting("sysfsRbd")).toBe("/sys/bus/rbd");
    expect(setting("gcTrace")).toBeUndefined();
    process.env.CEPH_RBD_TEST_MODE = "1";
    expect(setting("sysfsRbd")).toBe("/tmp/elsewhere");
    expect(setting("gcTrace")).toBe("/tmp/trace");
  });
});
