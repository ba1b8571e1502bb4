// What the packaging tests share: the package's paths, a way to run a command without a shell,
// and rpm queries of the packages built once for the run (rpm-setup.ts, inject("rpm")).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

export const PKG = "/usr/libexec/xcp-ceph-rbd";
export const XSS = "/usr/libexec/xapi-storage-script";
export const VOLUME = `${XSS}/volume/org.xen.xapi.storage.ceph-rbd`;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const sh = (cmd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Run => {
  const r = spawnSync(cmd, args, { input: opts.input ?? "", encoding: "utf8", env: { ...process.env, ...opts.env }, cwd: "/" });
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
};

export const rpmq = (...args: string[]) => execFileSync("rpm", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

// A scratch directory of the file's own for the tests of a describe block, removed after them.
export function scratchDir(prefix: string): { readonly path: string } {
  const dir = { path: "" };
  beforeAll(() => {
    dir.path = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir.path) rmSync(dir.path, { recursive: true, force: true });
  });
  return dir;
}
