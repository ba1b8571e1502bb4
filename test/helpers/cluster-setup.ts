// Starts one throwaway Ceph cluster for the whole test run, shared by every test kind that needs
// one (scripts/ceph-local.sh), and removes it afterwards. CEPH_TEST_CONF points the suite at an existing cluster instead;
// CEPH_TEST_CLUSTER=none starts none.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { parseEnv } from "./clusters.js";
import { shared } from "./shared-setup.js";
import type {} from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    ceph: { conf: string; pool: string; keyring: string; dir: string };
  }
}

const script = join(import.meta.dirname, "../../scripts/ceph-local.sh");

export default async function setup(project: TestProject) {
  // For a run of suites that start clusters of their own (faults.test.ts): nothing to share.
  if (process.env.CEPH_TEST_CLUSTER === "none") {
    project.provide("ceph", { conf: "", pool: "", keyring: "", dir: "" });
    return;
  }
  if (process.env.CEPH_TEST_CONF) {
    project.provide("ceph", { conf: process.env.CEPH_TEST_CONF, pool: process.env.CEPH_TEST_POOL ?? "rbd", keyring: "", dir: "" });
    return;
  }
  // One cluster for all the test kinds of a run (shared-setup.ts).
  const { value, release } = await shared("ceph", () => {
    const dir = mkdtempSync(join(tmpdir(), "ceph-rbd-test-"));
    // A port of its own, so a developer's cluster or a second run can stay up beside it.
    const port = String(20000 + Math.floor(Math.random() * 400) * 20);
    const env = { ...process.env, CEPH_LOCAL_PORT: port };
    const out = execFileSync("bash", [script, "up", dir], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const vars = parseEnv(out);
    return {
      value: { conf: vars.CEPH_CONF ?? "", pool: vars.CEPH_POOL ?? "rbd", keyring: vars.CEPH_KEYRING ?? "", dir },
      stop: () => execFileSync("bash", [script, "down", dir], { env, stdio: ["ignore", "ignore", "inherit"] }),
    };
  });
  project.provide("ceph", value);
  return release;
}
