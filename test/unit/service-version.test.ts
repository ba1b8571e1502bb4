// The version a verb expects of the session service (service-paths.ts) against the one the
// service computes of itself (ceph-session-service.py's digest(), its last line of output: the
// stand-in rados module prints as a library may): equal for the same files, so
// that a service is replaced exactly when its Python files or the plugin's version differ.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { serviceVersion, SERVICE_SCRIPT } from "../../plugins/ceph/service-paths.js";
import { VERSION } from "../../plugins/version.js";

const STUB = fileURLToPath(new URL("../helpers/stub-rados", import.meta.url));
const DIGEST = `
import importlib.util, sys
spec = importlib.util.spec_from_file_location("service", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
sys.stdout.write("\\n" + m.digest())
`;

describe("the session service's version", () => {
  it("is the plugin's version and the digest the service computes of its own files", () => {
    const digest = execFileSync("/usr/bin/python3", ["-S", "-c", DIGEST, SERVICE_SCRIPT], {
      env: { PATH: process.env.PATH ?? "", LC_ALL: "C", PYTHONPATH: STUB, PYTHONDONTWRITEBYTECODE: "1" },
      encoding: "utf8",
    })
      .split("\n")
      .pop();
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(serviceVersion()).toBe(`${VERSION}:${digest}`);
  });
});
