// Builds the install tree once per test run into a temporary directory of its own
// (scripts/build.mjs --out) and gives its path to the tests as inject("tree") (run-verb.ts):
// a developer's `npm run build` into dist/install/ and a test run never share a file. Removed
// afterwards.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { shared } from "./shared-setup.js";
import type {} from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    tree: string;
  }
}

const build = join(import.meta.dirname, "../../scripts/build.mjs");

export default async function setup(project: TestProject) {
  const { value: dir, release } = await shared("tree", () => {
    const dir = mkdtempSync(join(tmpdir(), "ceph-rbd-tree-"));
    try {
      execFileSync(process.execPath, [build, `--out=${dir}`], { stdio: ["ignore", "ignore", "inherit"] });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return { value: dir, stop: () => rmSync(dir, { recursive: true, force: true }) };
  });
  project.provide("tree", dir);
  return release;
}
