// Pid files name one process exactly (pid, start time, arguments): a reused pid is nobody's, a
// file that is a link, or another user's, is nobody's pid file, and a write never goes through
// a link.
import { spawn } from "node:child_process";
import { chownSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { identityOf, parsePidFile, readPidFile, recordedProcess, startTimeOf, writePidFile } from "../../plugins/pid-file.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), "pid-file-"));
  dirs.push(d);
  return d;
};
const me = () => identityOf(process.pid) ?? expect.unreachable("no identity for this process");

// A /proc/<pid>/stat line: fields 3 to 52 after the command name, field 22 the start time.
const statLine = (comm: string, start: string, state = "S") => {
  const rest = Array.from({ length: 50 }, (_, i) => String(i + 3));
  rest[0] = state;
  rest[22 - 3] = start;
  return `4242 (${comm}) ${rest.join(" ")}\n`;
};

describe("startTimeOf", () => {
  it.each(["node", "a b", "x) S 1 2 3 (y", ")", "((", "worker) 99"])("finds field 22 after the command name %j", (comm) => {
    expect(startTimeOf(statLine(comm, "123456789012345678"))).toBe("123456789012345678");
  });
  it("has none for a zombie", () => {
    expect(startTimeOf(statLine("node", "5", "Z"))).toBeUndefined();
  });
  it("reads this process's", () => {
    expect(me().start).toMatch(/^[0-9]+$/);
    expect(me().argv).toEqual(readFileSync("/proc/self/cmdline", "utf8").split("\0").slice(0, -1));
  });
});

describe("a pid file", () => {
  it("written whole, private, names this process while it runs", () => {
    const file = join(dir(), "w.pid");
    writePidFile(file, me());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").split("\n")[0]).toBe(String(process.pid));
    expect(readPidFile(file)).toEqual(me());
    expect(recordedProcess(file)).toBe(process.pid);
  });

  it.each([
    ["another start time", (id: ReturnType<typeof me>) => ({ ...id, start: String(BigInt(id.start) + 1n) })],
    ["other arguments", (id: ReturnType<typeof me>) => ({ ...id, argv: [...id.argv, "worker"] })],
    ["fewer arguments", (id: ReturnType<typeof me>) => ({ ...id, argv: id.argv.slice(0, 1) })],
  ])("with %s names nothing running (a reused pid)", (_what, change) => {
    const file = join(dir(), "w.pid");
    writePidFile(file, change(me()));
    expect(recordedProcess(file)).toBeUndefined();
  });

  it("of a process that ended names nothing", async () => {
    const child = spawn("true");
    await new Promise((r) => child.on("exit", r));
    const file = join(dir(), "w.pid");
    writePidFile(file, { pid: child.pid ?? 0, start: "1", argv: ["true"] });
    expect(recordedProcess(file)).toBeUndefined();
  });

  it.each([
    ["a bare pid", `${process.pid}\n`],
    ["a bare pid without newline", `${process.pid}`],
    ["no arguments", `${process.pid}\n1\n[]\n`],
    ["arguments that are not strings", `${process.pid}\n1\n[1]\n`],
    ["a pid that is not a number", 'x\n1\n["a"]\n'],
    ["a negative pid", `-1\n1\n["a"]\n`],
    ["a group", `0\n1\n["a"]\n`],
    ["a trailing line", `${process.pid}\n1\n["a"]\nmore\n`],
  ])("with %s is malformed", (_what, text) => {
    expect(parsePidFile(text)).toBeUndefined();
    const file = join(dir(), "w.pid");
    writeFileSync(file, text);
    expect(recordedProcess(file)).toBeUndefined();
  });

  it("behind a link is not read", () => {
    const d = dir();
    writePidFile(join(d, "real.pid"), me());
    symlinkSync(join(d, "real.pid"), join(d, "link.pid"));
    expect(readPidFile(join(d, "link.pid"))).toBeUndefined();
    expect(recordedProcess(join(d, "link.pid"))).toBeUndefined();
  });

  it("of another user is not read", () => {
    const file = join(dir(), "w.pid");
    writePidFile(file, me());
    chownSync(file, 65534, 65534);
    expect(readPidFile(file)).toBeUndefined();
  });

  it("written where a link stands replaces the link, never its target", () => {
    const d = dir();
    const target = join(d, "target");
    writeFileSync(target, "untouched");
    symlinkSync(target, join(d, "w.pid"));
    writePidFile(join(d, "w.pid"), me());
    expect(readFileSync(target, "utf8")).toBe("untouched");
    expect(lstatSync(join(d, "w.pid")).isFile()).toBe(true);
    expect(recordedProcess(join(d, "w.pid"))).toBe(process.pid);
  });
});
