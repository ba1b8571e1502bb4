// Loads a plugin's bundle for its verb's launcher, through V8's code cache: compiling the bundle
// and the functions a verb runs costs every verb process most of its own start-up (measured:
// Plugin.Query runs 251 M instructions without the cache, 169 M with it; a bare `node -e 0`
// runs 84 M). Node 20 has no compile cache of its own (module.enableCompileCache came in 22.1).
//
// One cache file per bundle, in <run dir>/code-cache (tmpfs: gone at boot, when the Node package
// may have changed). A verb process writes it as it exits, with every function compiled so far,
// whenever its verb is not yet among those the file was made with: xapi's first call to a plugin
// is Plugin.Query, and a cache of that verb alone leaves every other verb compiling its own code
// (measured: Volume.stat 266 M instructions with Plugin.Query's cache, 228 M once it has its own).
// A cache is code this process runs: the directory must be this user's alone, the file too (a
// private file: private-file.ts), and a file is used only when its first line names exactly this
// bundle file (device, inode, size, mtime) and this Node with these flags. V8 rejects on its own
// a cache of another V8 or of a source of another length. A file that is not private is
// rejected like one V8 rejects, and replaced. CEPH_RBD_CODE_CACHE=off compiles without it.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";
import { readPrivateFile, writePrivateFile } from "../private-file.js";
import { fnv1a } from "../fnv.js";
import { privateDirProblem, runDir } from "../run-dir.js";
import { setting } from "../settings.js";
import { setCodeCacheState, type CodeCacheState } from "./code-cache-state.js";

interface Bundle {
  main(...args: unknown[]): unknown;
}

// The bundle's text and the name of the exact file it came from, read through one descriptor.
function readBundle(path: string): { source: string; identity: string } {
  const fd = openSync(path, "r");
  try {
    const st = fstatSync(fd);
    const identity = JSON.stringify([
      path,
      st.dev,
      st.ino,
      st.size,
      st.mtimeMs,
      process.version,
      process.arch,
      process.execArgv,
      process.env.NODE_OPTIONS ?? "",
    ]);
    return { source: readFileSync(fd, "utf8"), identity };
  } finally {
    closeSync(fd);
  }
}

// A cache file: the identity it was made for, the verbs it was made with, then V8's data.
interface Cache {
  verbs: string[];
  data: Buffer;
}
const encode = (identity: string, c: Cache): Buffer => Buffer.concat([Buffer.from(`${identity}\n${JSON.stringify(c.verbs)}\n`), c.data]);

// The file's cache when it was made for exactly `identity`; "rejected" when the file is not private.
function readCache(file: string, identity: string): Cache | "rejected" | undefined {
  const r = readPrivateFile(file);
  if ("rejected" in r) return "rejected";
  if (!("data" in r)) return undefined;
  try {
    const bytes = r.data;
    const eol1 = bytes.indexOf(10);
    const eol2 = bytes.indexOf(10, eol1 + 1);
    if (eol1 < 0 || eol2 < 0 || bytes.subarray(0, eol1).toString("utf8") !== identity) return undefined;
    const verbs: unknown = JSON.parse(bytes.subarray(eol1 + 1, eol2).toString("utf8"));
    return Array.isArray(verbs) ? { verbs: verbs.map(String), data: bytes.subarray(eol2 + 1) } : undefined;
  } catch {
    return undefined;
  }
}

// Written whole under a temporary name, then renamed: a reader sees the old file or the new one.
// Caches of earlier builds of the bundle at the same path go with it.
function writeCache(dir: string, file: string, bytes: Buffer): void {
  try {
    writePrivateFile(file, bytes);
    const prefix = basename(file).split(".")[0];
    for (const old of readdirSync(dir))
      if (old.startsWith(`${prefix}.`) && old !== basename(file) && !old.endsWith(".tmp")) rmSync(join(dir, old), { force: true });
  } catch {
    // The verb's answer never depends on its cache: the next verb writes it.
  }
}

// The bundle's exports, and how it was loaded (for the verb's debug line).
export function load(path: string, verb: string): Bundle {
  const { source, identity } = readBundle(path);
  const dir = join(runDir(), "code-cache");
  // Short names: <bundle>-<its path>.<its identity>.v8 (the identity itself is checked on reading).
  const file = join(dir, `${basename(path, ".cjs")}-${fnv1a(path)}.${fnv1a(identity)}.v8`);
  let state: CodeCacheState = "off";
  if (setting("codeCache") === "on") state = privateDirProblem(runDir()) === undefined && privateDirProblem(dir) === undefined ? "miss" : "unusable";
  const found = state === "miss" ? readCache(file, identity) : undefined;
  if (found === "rejected") state = "rejected";
  const cached = typeof found === "object" ? found : undefined;
  // The same wrapper as Node's own CommonJS loader, so the bundle sees what require() gives it.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, { filename: path, cachedData: cached?.data });
  if (cached) state = script.cachedDataRejected ? "rejected" : "hit";
  setCodeCacheState(state);
  // Functions taken from the cache have their bytecode too: a rewrite keeps the earlier verbs'.
  const verbs = state === "hit" ? (cached?.verbs ?? []) : [];
  if (state !== "off" && state !== "unusable" && !verbs.includes(verb)) {
    process.once("exit", () => writeCache(dir, file, encode(identity, { verbs: [...verbs, verb], data: script.createCachedData() })));
  }
  const module = { exports: {} as Bundle };
  script.runInThisContext()(module.exports, createRequire(path), module, path, dirname(path));
  return module.exports;
}
