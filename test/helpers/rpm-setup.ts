// Builds the RPMs once per test run for every packaging test file (scripts/rpm/build.sh), and
// gives their paths to the tests as inject("rpm") (rpm.ts); the build takes about a minute, so
// the files share it. Removed afterwards.
//
// The runtime sub-package is built from a TEST FIXTURE standing in for the glibc-2.17 Node
// tarball (which cannot be fetched here): a tarball laid out like a Node release whose bin/node
// is a shell script running this machine's node. It proves the mechanics (checksum, layout,
// no stripping, the launchers finding the runtime by its absolute path), not the runtime.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { shared } from "./shared-setup.js";
import type {} from "vitest";

export interface BuiltRpms {
  // Why the RPMs could not be built here; the packaging tests are skipped with it.
  skip?: string;
  main: string;
  runtime: string;
  fixture: { path: string; sha: string; nodeSha: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    rpm: BuiltRpms;
  }
}

const ROOT = join(import.meta.dirname, "../..");

// rpmbuild comes from Debian's rpm package; build.sh installs it when missing, if it can.
function whyNoRpmbuild(): string | undefined {
  const has = () => spawnSync("sh", ["-c", "command -v rpmbuild"]).status === 0;
  if (has()) return undefined;
  if (process.getuid?.() !== 0) return "rpmbuild is missing and installing Debian's rpm package needs root";
  const r = spawnSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm"], {
    encoding: "utf8",
  });
  return has() ? undefined : `rpmbuild could not be installed (apt-get: ${(r.stderr || r.stdout).trim().slice(-300)})`;
}

function build(work: string): BuiltRpms {
  // TEST FIXTURE standing in for node-vX-linux-x64-glibc-217.tar.xz.
  const top = `node-v${process.versions.node}-linux-x64-test-fixture`;
  mkdirSync(join(work, "fixture", top, "bin"), { recursive: true });
  writeFileSync(
    join(work, "fixture", top, "bin/node"),
    `#!/bin/sh\n# TEST FIXTURE, not a Node runtime: runs the build machine's node.\nexec ${process.execPath} "$@"\n`,
  );
  chmodSync(join(work, "fixture", top, "bin/node"), 0o755);
  writeFileSync(join(work, "fixture", top, "LICENSE"), "Test fixture for scripts/rpm/build.sh; not Node.js.\n");
  const path = join(work, `${top}.tar.xz`);
  execFileSync("tar", ["-C", join(work, "fixture"), "-cJf", path, top]);
  const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
  const nodeSha = createHash("sha256")
    .update(readFileSync(join(work, "fixture", top, "bin/node")))
    .digest("hex");

  const out = execFileSync("bash", [join(ROOT, "scripts/rpm/build.sh"), "--node-tarball", path, "--node-sha256", sha, "--outdir", join(work, "rpms")], {
    encoding: "utf8",
    cwd: ROOT,
  });
  const files = out.trim().split("\n");
  return {
    main: files.find((f) => /\/xcp-ceph-rbd-\d[^/]*\.rpm$/.test(f)) ?? "",
    runtime: files.find((f) => /xcp-ceph-rbd-runtime-/.test(f)) ?? "",
    fixture: { path, sha, nodeSha },
  };
}

export default async function setup(project: TestProject) {
  const { value, release } = await shared("rpm", () => {
    const skip = whyNoRpmbuild();
    if (skip) return { value: { skip, main: "", runtime: "", fixture: { path: "", sha: "", nodeSha: "" } }, stop: () => {} };
    const work = mkdtempSync(join(tmpdir(), "rpm-build-"));
    try {
      return { value: build(work), stop: () => rmSync(work, { recursive: true, force: true }) };
    } catch (e) {
      rmSync(work, { recursive: true, force: true });
      throw e;
    }
  });
  project.provide("rpm", value);
  return release;
}
