// Test-only settings change nothing on a production host: without CEPH_RBD_TEST_MODE=1 a host is
// what its inventory says, and crash or pause points do nothing.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hostId } from "../../plugins/host-id.js";
import { crashPoint } from "../../plugins/crash.js";
import { Invalid_parameters } from "../../plugins/wire/errors.js";

const INSTALLATION = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const FORCED = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const inventory = (): string => {
  const file = join(mkdtempSync(join(tmpdir(), "inventory-")), "xensource-inventory");
  writeFileSync(file, `PRODUCT_BRAND='XCP-ng'\nINSTALLATION_UUID='${INSTALLATION}'\n`);
  return file;
};

const saved = { ...process.env };
afterEach(() => {
  for (const k of ["CEPH_RBD_TEST_MODE", "CEPH_RBD_HOST_UUID", "CEPH_RBD_CRASH_AT", "CEPH_RBD_PAUSE_AT"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("test mode", () => {
  it("a host is its inventory's INSTALLATION_UUID whatever CEPH_RBD_HOST_UUID says, outside test mode", () => {
    delete process.env.CEPH_RBD_TEST_MODE;
    process.env.CEPH_RBD_HOST_UUID = FORCED;
    expect(hostId(inventory())).toBe(INSTALLATION);
    process.env.CEPH_RBD_TEST_MODE = "yes";
    expect(hostId(inventory())).toBe(INSTALLATION);
    expect(() => hostId(join(tmpdir(), "no-such-inventory"))).toThrow(Invalid_parameters);
  });

  it("CEPH_RBD_HOST_UUID plays another host in test mode", () => {
    process.env.CEPH_RBD_TEST_MODE = "1";
    process.env.CEPH_RBD_HOST_UUID = FORCED;
    expect(hostId(inventory())).toBe(FORCED);
  });

  it("crash and pause points do nothing outside test mode", () => {
    delete process.env.CEPH_RBD_TEST_MODE;
    process.env.CEPH_RBD_CRASH_AT = "unit:here";
    process.env.CEPH_RBD_PAUSE_AT = "unit:here";
    // In test mode this would kill or stop the test's own worker.
    expect(() => crashPoint("unit:here")).not.toThrow();
  });
});
