// The session helper's protocol (ceph-session.py), on the Pythons it must run on: XCP-ng 8.3's
// 3.6, which has no Ceph bindings here (a stand-in rados module takes their place: the protocol,
// not Ceph, is under test; the Ceph side is in the integration tests), and the system's Python
// with its UTF-8 mode off. Under LC_ALL=C, as Node starts it: names in any language go through,
// answers come on fd 3 whatever a library prints on stdout, a line that is no request gets an
// error answer and the session goes on, threads are bounded, and a stuck operation does not
// keep the process once its input ends.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../plugins/ceph/ceph-session.py", import.meta.url));
const STUB = fileURLToPath(new URL("../helpers/stub-rados", import.meta.url));
const PY36 = join(homedir(), ".pyenv/versions/3.6.15/bin/python3");
// What a test on Python 3.6 says in its name when it is skipped.
const noPy36 = existsSync(PY36) ? "" : ` (skipped: no Python 3.6 at ${PY36})`;
const CONFIG = { conf: "/nonexistent", user: "u", keyring: "", mon_host: "", connect_timeout: 1, op_timeout: 0.5, mgr_timeout: 2 };

interface Answer {
  id: number | null;
  ok?: unknown;
  errno?: number;
  msg?: string;
}

function helper(python: string[], env: Record<string, string> = {}) {
  const trace = join(mkdtempSync(join(tmpdir(), "session-helper-")), "trace");
  const child = spawn(python[0] ?? "", [...python.slice(1), "-S", SCRIPT], {
    stdio: ["pipe", "pipe", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "", LC_ALL: "C", PYTHONPATH: STUB, PYTHONDONTWRITEBYTECODE: "1", STUB_TRACE: trace, ...env },
  });
  let fd3 = "";
  let stdout = "";
  let stderr = "";
  (child.stdio[3] as Readable).setEncoding("utf8").on("data", (d: string) => (fd3 += d));
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.stdin.write(`${JSON.stringify(CONFIG)}\n`);
  const answers = (): Answer[] =>
    fd3
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Answer);
  return {
    send: (line: string | Buffer) => child.stdin.write(line),
    request: (r: Record<string, unknown>) => child.stdin.write(`${JSON.stringify({ pool: "p", ns: "", ...r })}\n`),
    answers,
    async waitFor(n: number): Promise<Answer[]> {
      for (let i = 0; i < 150 && answers().length < n; i++) await new Promise((ok) => setTimeout(ok, 25));
      return answers();
    },
    end: () => child.stdin.end(),
    exited,
    output: () => ({ stdout, stderr }),
    trace: () => (existsSync(trace) ? readFileSync(trace, "utf8") : ""),
  };
}

const byId = (answers: Answer[], id: number) => answers.find((a) => a.id === id);

const pythons: Array<[string, string[], boolean]> = [
  [`Python 3.6 (XCP-ng 8.3's dom0)${noPy36}`, [PY36], noPy36 !== ""],
  ["the system's Python without UTF-8 mode", ["/usr/bin/python3", "-X", "utf8=0"], false],
];

describe.each(pythons)("the session helper on %s, under LC_ALL=C", (_, python, missing) => {
  it.skipIf(missing)("round-trips names in any language, as UTF-8, answering on fd 3 only", async () => {
    const h = helper(python);
    h.request({ id: 1, op: "omap_update", obj: "o", set: { "nam:é": "disque-é", "nam:磁": "磁盘" } });
    await h.waitFor(1);
    h.request({ id: 2, op: "omap_list", obj: "o" });
    const answers = await h.waitFor(2);
    h.end();
    expect(byId(answers, 1)).toEqual({ id: 1, ok: null });
    expect(byId(answers, 2)).toEqual({
      id: 2,
      ok: [
        ["nam:é", "disque-é"],
        ["nam:磁", "磁盘"],
      ],
    });
    expect(await h.exited).toBe(0);
    // What the library printed went to stderr, not to the answers nor to stdout.
    expect(h.output().stdout).toBe("");
    expect(h.output().stderr).toMatch(/stray output from a library/);
  });

  it.skipIf(missing)("answers a line that is no request with an error, and goes on", async () => {
    const h = helper(python);
    h.send("not json\n");
    h.send("[1, 2]\n");
    h.send(Buffer.from([0xff, 0xfe, 0x0a]));
    h.send('{"op": "omap_list", "obj": "o"}\n');
    h.send('{"id": "x", "op": "omap_list", "obj": "o"}\n');
    h.request({ id: 7, op: "no_such_op" });
    h.request({ id: 8, op: "omap_list", obj: "o" });
    const answers = await h.waitFor(7);
    h.end();
    expect(answers.filter((a) => a.id === null)).toHaveLength(4);
    for (const a of answers.filter((a) => a.id === null)) expect(a.errno).toBe(22);
    expect(byId(answers as Answer[], "x" as unknown as number)).toMatchObject({ errno: 22, msg: expect.stringMatching(/integer id/) });
    expect(byId(answers, 7)).toMatchObject({ errno: 22, msg: expect.stringMatching(/unknown operation/) });
    expect(byId(answers, 8)).toEqual({ id: 8, ok: [] });
    expect(await h.exited).toBe(0);
  });

  it.skipIf(missing)("runs at most 32 requests at once, and answers them all", async () => {
    const h = helper(python);
    for (let id = 1; id <= 48; id++) h.request({ id, op: "omap_list", obj: "slow" });
    const answers = await h.waitFor(48);
    h.end();
    expect(answers.filter((a) => "ok" in a)).toHaveLength(48);
    const most = Math.max(...[...h.trace().matchAll(/most (\d+)/g)].map((m) => Number(m[1])));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(32);
    expect(await h.exited).toBe(0);
  });

  it.skipIf(missing)(
    "exits at the end of its input even with an operation stuck",
    async () => {
      const h = helper(python);
      h.request({ id: 1, op: "omap_list", obj: "stuck" });
      for (let i = 0; i < 200 && !h.trace().includes("most"); i++) await new Promise((ok) => setTimeout(ok, 25));
      h.end();
      expect(await h.exited).toBe(0);
    },
    30_000,
  );

  it.skipIf(missing)("asserts a write's locks within the write, or just before it on a binding without WriteOp.execute", async () => {
    // cls_lock_assert_op: version 1, compat 1, length; name, type 1 (exclusive), cookie, tag "".
    const body = Buffer.concat([Buffer.from([5, 0, 0, 0]), Buffer.from("vol:x"), Buffer.from([1, 1, 0, 0, 0]), Buffer.from("c"), Buffer.from([0, 0, 0, 0])]);
    const encoded = Buffer.concat([Buffer.from([1, 1, body.length, 0, 0, 0]), body]).toString("hex");
    for (const [env, how] of [
      [{}, "atomic"],
      [{ STUB_NO_EXECUTE: "1" }, "separate"],
    ] as const) {
      const h = helper(python, env);
      h.request({ id: 1, op: "omap_update", obj: "o", set: { k: "v" }, guards: [{ name: "vol:x", cookie: "c" }] });
      const answers = await h.waitFor(1);
      h.end();
      expect(byId(answers, 1)).toEqual({ id: 1, ok: { guarded: how } });
      expect(h.trace()).toContain(`${how} lock.assert_locked ${encoded}`);
      expect(await h.exited).toBe(0);
    }
  });

  // Nautilus's binding lacks RBD_FEATURE_NON_PRIMARY and RBD_SNAP_NAMESPACE_TYPE_MIRROR: the
  // features it knows still work, and one it does not is refused in words.
  it.skipIf(missing)("serves RBD operations on a binding without Octopus's constants (Nautilus)", async () => {
    const h = helper(python, { STUB_RBD: "nautilus" });
    h.request({ id: 1, op: "image_create", image: "v", bytes: 1024, features: ["layering", "exclusive-lock"] });
    await h.waitFor(1);
    h.request({ id: 2, op: "image_info", image: "v" });
    h.request({ id: 3, op: "image_create", image: "w", bytes: 1024, features: ["non-primary"] });
    const answers = await h.waitFor(3);
    h.end();
    expect(byId(answers, 1)).toEqual({ id: 1, ok: null });
    expect(byId(answers, 2)?.ok).toMatchObject({ name: "v", features: ["layering", "exclusive-lock"] });
    expect(byId(answers, 3)).toMatchObject({ errno: 22, msg: expect.stringContaining("non-primary is unknown to this Ceph client's rbd binding") });
    expect(await h.exited).toBe(0);
  });

  it.skipIf(missing)("bounds an mgr command by the mgr's own timeout, and says in words that it timed out", async () => {
    const h = helper(python);
    h.request({ id: 1, op: "command", target: "mgr", cmd: { prefix: "rbd task list" }, timeout: 5 });
    const answers = await h.waitFor(1);
    h.end();
    expect(byId(answers, 1)).toEqual({ id: 1, errno: 110, msg: "Failure: the mgr did not answer within 2 s" });
    expect(h.trace()).toContain("mgr_command after 2 s");
    expect(await h.exited).toBe(0);
  });
});

describe("ceph-session.py", () => {
  it.skipIf(noPy36 !== "")(`compiles under Python 3.6${noPy36}`, () => {
    const dir = dirname(SCRIPT);
    const modules = readdirSync(dir).filter((f) => f.endsWith(".py"));
    expect(modules).toContain("ceph-session.py");
    for (const f of modules) {
      const out = join(mkdtempSync(join(tmpdir(), "py36-")), "c.pyc");
      execFileSync(PY36, ["-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)", join(dir, f), out]);
      expect(existsSync(out)).toBe(true);
    }
  });
});
