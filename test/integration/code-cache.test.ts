// The launchers load their plugin's bundle through V8's code cache (plugins/runtime/code-cache.ts):
// written by the first verb to miss it, used by the next, never trusted when it is not exactly
// this bundle's or sits where others could write it. Each case has a run directory of its own.
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DATAPATH_DIR, LIB_DIR, runExecutable, VOLUME_DIR } from "../helpers/run-verb.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const runDir = () => {
  const d = mkdtempSync(join(tmpdir(), "code-cache-"));
  dirs.push(d);
  return d;
};

// A verb of the plugin in `dir` that loads the plugin's bundle and is refused before any Ceph call
// (its parameters lack all but dbg): its answer and how the bundle was loaded (its debug line).
// Not Plugin.Query: in xapi's mode it loads a bundle of its own (light.ts), with a cache file of its own.
const PROBE = "SR.stat";
async function query(run: string, dir = VOLUME_DIR, env: Record<string, string> = {}) {
  const verb = dir === VOLUME_DIR ? PROBE : "Datapath.attach";
  const r = await runExecutable(join(dir, verb), '{"dbg":"code-cache"}', ["--json"], { CEPH_RBD_RUN_DIR: run, ...env });
  expect(r.json, r.stderr).toMatchObject({ code: "SR_BACKEND_FAILURE", params: ["Invalid_parameters", expect.any(String)] });
  const state = new RegExp(`${verb.replace(".", "\\.")}: code cache (\\S+)`).exec(r.stderr)?.[1];
  // The answer without its backtrace's frames: they show where an await resumed, and the verb
  // that starts the session service resumes elsewhere than the next one.
  const { backtrace, ...answer } = r.json as { backtrace?: { error?: unknown } };
  return { json: { ...answer, error: backtrace?.error }, state };
}
const cacheFiles = (run: string) => readdirSync(join(run, "code-cache")).filter((f) => !f.endsWith(".tmp"));
// The one cache file of a run directory where one bundle was loaded.
const cacheFile = (run: string): string => {
  const files = cacheFiles(run);
  expect(files).toHaveLength(1);
  return join(run, "code-cache", files[0] as string);
};

describe("the bundles' code cache", () => {
  it("holds Plugin.Query's own small bundle in xapi's mode, apart from the plugin's; an admin's Plugin.Query loads the plugin's bundle", async () => {
    const run = runDir();
    const wireQuery = async (dir: string) => {
      const r = await runExecutable(join(dir, "Plugin.Query"), '{"dbg":"code-cache"}', ["--json"], { CEPH_RBD_RUN_DIR: run });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({ required_api_version: "5.0" });
      return /Plugin\.Query: code cache (\S+)/.exec(r.stderr)?.[1];
    };
    for (const dir of [VOLUME_DIR, DATAPATH_DIR("rbd+nbd")]) {
      expect(await wireQuery(dir)).toBe("miss");
      expect(await wireQuery(dir)).toBe("hit");
    }
    const queryFiles = cacheFiles(run).sort();
    expect(queryFiles).toEqual([
      expect.stringMatching(/^datapath-query-[0-9a-f]{8}\.[0-9a-f]{8}\.v8$/),
      expect.stringMatching(/^volume-query-[0-9a-f]{8}\.[0-9a-f]{8}\.v8$/),
    ]);
    const human = await runExecutable(join(VOLUME_DIR, "Plugin.Query"), "", [], { CEPH_RBD_RUN_DIR: run });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("required_api_version: 5.0");
    expect(cacheFiles(run).filter((f) => !queryFiles.includes(f))).toEqual([expect.stringMatching(/^volume-[0-9a-f]{8}\./)]);
  });

  it("is written by the first verb, private to root, and used by the next with the same answer", async () => {
    const run = runDir();
    const first = await query(run);
    expect(first.state).toBe("miss");
    const file = cacheFile(run);
    expect(cacheFiles(run)).toEqual([expect.stringMatching(/^volume-[0-9a-f]{8}\.[0-9a-f]{8}\.v8$/)]);
    expect(statSync(join(run, "code-cache")).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = readFileSync(file);
    // Its first line names the bundle file and the Node it was made by.
    expect(written.subarray(0, written.indexOf(10)).toString()).toContain("volume.cjs");
    const second = await query(run);
    expect(second.state).toBe("hit");
    expect(second.json).toEqual(first.json);
    expect(readFileSync(file)).toEqual(written);
  });

  it("takes in each verb once: another verb rewrites it with its own functions, the same verb again does not", async () => {
    const run = runDir();
    await query(run);
    const file = cacheFile(run);
    const verbsLine = () => {
      const text = readFileSync(file);
      const eol = text.indexOf(10);
      return JSON.parse(text.subarray(eol + 1, text.indexOf(10, eol + 1)).toString()) as string[];
    };
    expect(verbsLine()).toEqual([PROBE]);
    // Another verb refused the same way.
    const stat = () => runExecutable(join(VOLUME_DIR, "Volume.stat"), '{"dbg":"code-cache"}', ["--json"], { CEPH_RBD_RUN_DIR: run });
    const first = await stat();
    expect(first.stderr).toContain("Volume.stat: code cache hit");
    expect(first.json).toMatchObject({ code: "SR_BACKEND_FAILURE" });
    expect(verbsLine()).toEqual([PROBE, "Volume.stat"]);
    const written = readFileSync(file);
    expect((await stat()).stderr).toContain("Volume.stat: code cache hit");
    expect((await query(run)).state).toBe("hit");
    expect(readFileSync(file)).toEqual(written);
  });

  it("keeps one file per bundle: the datapath plugins' bundle has its own", async () => {
    const run = runDir();
    await query(run);
    expect((await query(run, DATAPATH_DIR("rbd"))).state).toBe("miss");
    expect((await query(run, DATAPATH_DIR("rbd+nbd"))).state).toBe("hit");
    expect(
      cacheFiles(run)
        .map((f) => f.split("-")[0])
        .sort(),
    ).toEqual(["datapath", "volume"]);
  });

  it("is rejected, the verb still answers, and rewritten when its data is not V8's", async () => {
    const run = runDir();
    const good = await query(run);
    const path = cacheFile(run);
    const text = readFileSync(path);
    // The two header lines (identity, verbs) kept, V8's data replaced.
    const header = text.subarray(0, text.indexOf(10, text.indexOf(10) + 1) + 1);
    writeFileSync(path, Buffer.concat([header, Buffer.alloc(text.length - header.length, 0x5a)]));
    const bad = await query(run);
    expect(bad.state).toBe("rejected");
    expect(bad.json).toEqual(good.json);
    expect((await query(run)).state).toBe("hit");
  });

  it("is not used when its first line names another bundle file", async () => {
    const run = runDir();
    await query(run);
    const path = cacheFile(run);
    const text = readFileSync(path);
    writeFileSync(path, Buffer.concat([Buffer.from('["/elsewhere/volume.cjs"]'), text.subarray(text.indexOf(10))]));
    expect((await query(run)).state).toBe("miss");
    expect((await query(run)).state).toBe("hit");
  });

  it("is replaced when the bundle file changes: the earlier build's cache goes", async () => {
    const run = runDir();
    await query(run);
    const old = cacheFile(run);
    // A rebuild replaces the bundle; a new mtime is enough to make it another file here.
    const bundle = join(LIB_DIR, "volume.cjs");
    utimesSync(bundle, new Date(), new Date(statSync(bundle).mtimeMs + 1000));
    expect((await query(run)).state).toBe("miss");
    expect(cacheFile(run)).not.toBe(old);
    expect((await query(run)).state).toBe("hit");
  });

  it("is neither read nor written in a directory others can write", async () => {
    const run = runDir();
    await query(run);
    const file = cacheFile(run);
    const before = statSync(file).mtimeMs;
    chmodSync(join(run, "code-cache"), 0o777);
    expect((await query(run)).state).toBe("unusable");
    chmodSync(join(run, "code-cache"), 0o700);
    chmodSync(run, 0o777);
    expect((await query(run)).state).toBe("unusable");
    expect(statSync(file).mtimeMs).toBe(before);
  });

  // A cache file is code to run: one that another user could have written or can still change
  // (through a second name, its mode, its owner, or a link to elsewhere) is not used, and a
  // private one replaces it. Each file holds this bundle's valid cache, so only its standing
  // keeps it out.
  it.each([
    ["hard-linked elsewhere", (file: string, aside: string) => linkSync(file, join(aside, "other-name"))],
    ["writable by its group", (file: string) => chmodSync(file, 0o620)],
    ["readable by others", (file: string) => chmodSync(file, 0o604)],
    ["owned by another user", (file: string) => chownSync(file, 65534, 65534)],
    [
      "a link to a file elsewhere",
      (file: string, aside: string) => {
        renameSync(file, join(aside, "real.v8"));
        symlinkSync(join(aside, "real.v8"), file);
      },
    ],
  ])("is not used when the file is %s, and is replaced", async (_what, spoil) => {
    const run = runDir();
    const aside = runDir();
    const good = await query(run);
    const file = cacheFile(run);
    spoil(file, aside);
    const spoiled = await query(run);
    expect(spoiled.state).toBe("rejected");
    expect(spoiled.json).toEqual(good.json);
    const st = lstatSync(file);
    expect(st.isFile() && st.nlink === 1 && st.uid === process.getuid?.() && (st.mode & 0o777) === 0o600, "a private file replaced it").toBe(true);
    expect((await query(run)).state).toBe("hit");
  });

  it("is off with CEPH_RBD_CODE_CACHE=off: nothing written", async () => {
    const run = runDir();
    expect((await query(run, VOLUME_DIR, { CEPH_RBD_CODE_CACHE: "off" })).state).toBe("off");
    expect(() => readdirSync(join(run, "code-cache"))).toThrow();
  });
});
