// The version a verb requires of the session service (service-paths.ts): the plugin's version, a
// digest of the Python files beside the bundle, and which Python runs them. A verb in a root of
// another Ceph release (its own /usr/bin/python3 and bindings, the same /run) must not share the
// host's service: another Python is another version.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { serviceVersion, serviceScript } from "../../plugins/ceph/service-paths.js";
import { fnv1a } from "../../plugins/fnv.js";
import { VERSION } from "../../plugins/version.js";

const PY36 = join(homedir(), ".pyenv/versions/3.6.15/bin/python3");
const saved = process.env.CEPH_RBD_PYTHON;
afterEach(() => {
  if (saved === undefined) delete process.env.CEPH_RBD_PYTHON;
  else process.env.CEPH_RBD_PYTHON = saved;
});

describe("the session service's version", () => {
  it("is the plugin's version, the digest of the Python files and the Python's identity", () => {
    const dir = dirname(serviceScript());
    const files = Buffer.concat(
      readdirSync(dir)
        .filter((n) => n.endsWith(".py"))
        .sort()
        .flatMap((name) => [Buffer.from(`${name}\0`), readFileSync(join(dir, name)), Buffer.from("\0")]),
    );
    process.env.CEPH_RBD_PYTHON = "/usr/bin/python3";
    const st = statSync("/usr/bin/python3");
    expect(serviceVersion()).toBe(`${VERSION}:${fnv1a(files)}${fnv1a(files, 0x01000193)}:${st.dev}.${st.ino}`);
  });

  it("differs for another Python, and for none", () => {
    process.env.CEPH_RBD_PYTHON = "/usr/bin/python3";
    const system = serviceVersion();
    process.env.CEPH_RBD_PYTHON = statSync(PY36, { throwIfNoEntry: false }) ? PY36 : process.execPath;
    expect(serviceVersion()).not.toBe(system);
    process.env.CEPH_RBD_PYTHON = "/nonexistent/python3";
    expect(serviceVersion()).toMatch(/:none$/);
  });
});
