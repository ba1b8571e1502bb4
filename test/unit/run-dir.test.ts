// The run directory holds what root acts on (pid files, sockets, code): only a directory nobody
// else can have written into is used, and one others may merely enter is closed first.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { privateDirProblem } from "../../plugins/run-dir.js";

const fresh = () => mkdtempSync(join(tmpdir(), "run-dir-"));

describe("privateDirProblem", () => {
  it("makes a missing directory 0700", () => {
    const dir = join(fresh(), "run");
    expect(privateDirProblem(dir)).toBeUndefined();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("closes a directory others may only read (an earlier version's 0755) and uses it", () => {
    const dir = join(fresh(), "run");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    expect(privateDirProblem(dir)).toBeUndefined();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it.each([
    ["writable by others", (dir: string) => (mkdirSync(dir), chmodSync(dir, 0o777)), /writable by other users/],
    ["writable by its group", (dir: string) => (mkdirSync(dir), chmodSync(dir, 0o770)), /writable by other users/],
    ["owned by another user", (dir: string) => (mkdirSync(dir, { mode: 0o700 }), chownSync(dir, 65534, 65534)), /belongs to uid 65534/],
    ["a link to a private directory", (dir: string) => symlinkSync(fresh(), dir), /is not a directory/],
    ["in a parent others can write", (dir: string) => chmodSync(join(dir, ".."), 0o777), /is writable by other users/],
  ])("refuses one %s, and leaves it as it was", (_what, make, why) => {
    const dir = join(fresh(), "run");
    make(dir);
    expect(privateDirProblem(dir)).toMatch(why);
  });
});
