// Private files (pid files, the code cache): read only when this user's alone, written whole,
// never through a link planted at the file's name or at its temporary name.
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readPrivateFile, writePrivateFile } from "../../plugins/private-file.js";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = mkdtempSync(join(tmpdir(), "private-file-")));

describe("private files", () => {
  it("are written 0600 and read back", () => {
    const file = join(fresh(), "f");
    writePrivateFile(file, "data");
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(readPrivateFile(file)).toEqual({ data: Buffer.from("data") });
    expect(readPrivateFile(join(dir, "missing"))).toEqual({ absent: true });
  });

  // Each makes `f` beside a private file `real` and says why `f` is refused.
  it.each([
    ["a symbolic link", (d: string) => symlinkSync(join(d, "real"), join(d, "f")), "a symbolic link"],
    ["a second name", (d: string) => linkSync(join(d, "real"), join(d, "f")), "2 links"],
    ["group-writable", (d: string) => (writePrivateFile(join(d, "f"), "x"), chmodSync(join(d, "f"), 0o620)), "open to other users"],
    ["a directory", (d: string) => mkdirSync(join(d, "f")), "not a regular file"],
  ])("are rejected as %s", (_what, make, why) => {
    const d = fresh();
    writePrivateFile(join(d, "real"), "x");
    make(d);
    expect(readPrivateFile(join(d, "f"))).toMatchObject({ rejected: expect.stringContaining(why) });
  });

  it("replace a link at their name or their temporary name, never writing through it", () => {
    const file = join(fresh(), "f");
    const target = join(dir, "target");
    writeFileSync(target, "untouched");
    symlinkSync(target, file);
    symlinkSync(target, `${file}.${process.pid}.tmp`);
    writePrivateFile(file, "new");
    expect(readFileSync(target, "utf8")).toBe("untouched");
    expect(lstatSync(file).isFile()).toBe(true);
    expect(readPrivateFile(file)).toEqual({ data: Buffer.from("new") });
  });
});
