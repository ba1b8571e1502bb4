// Builds the install tree, runnable in place, into dist/install/ (generated, gitignored; the
// same layout as the RPM's /usr/libexec/xcp-ceph-rbd/):
//   lib/volume.cjs, datapath.cjs, admin.cjs    one bundle per program
//   lib/early.cjs                              what every launcher runs first (runtime/early.ts),
//                                              which loads the plugin's bundle (code-cache.ts)
//   lib/volume-query.cjs, datapath-query.cjs   Plugin.Query's own, instead (runtime/light.ts),
//   lib/load.cjs                               loaded through the code cache by this alone
//   lib/execa.cjs, yargs.cjs                   dependencies required only where used (see VENDORED)
//   lib/ceph-session.py                        the librados session's Python half, and the
//   lib/ceph_rbd_session_*.py                  modules it imports from its own directory
//   volume/org.xen.xapi.storage.ceph-rbd/<Verb>   one launcher per implemented verb
//   datapath/<scheme>/<Verb>
//   bin/ceph-rbd-admin
// Verb names come from the built verb tables themselves, so files and code cannot drift.
//
// Options (scripts/rpm/build.sh, the bench and the tests' setup use them to build a tree of
// their own elsewhere):
//   --launcher=dual|node|python  form of the verb files (see launcher() below; default dual)
//   --node=PATH                  the Node the launchers run (default: `node` from PATH)
//   --out=DIR                    write the tree (lib/, volume/, datapath/, bin/) to DIR instead of dist/install/
//   --bench-floor                also the bench's floor clients (scripts/bench/floor/): lib/bench-floor-*.cjs
//                                and their launchers in bench-floor/ (never in the RPM)
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const opt = (name) =>
  process.argv
    .slice(2)
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3);
const form = opt("launcher") ?? "dual";
if (!["dual", "node", "python"].includes(form)) throw new Error(`--launcher: dual, node or python, not ${form}`);
const nodeCmd = opt("node") ? [opt("node")] : ["/usr/bin/env", "node"];
const out = opt("out") ? resolve(opt("out")) : join(root, "dist/install");
const lib = join(out, "lib");
const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));

export const VOLUME_DIR = "volume/org.xen.xapi.storage.ceph-rbd";

// The digest of the Python files the tree installs, by the very function the sources use
// (plugins/ceph/python-digest.ts, bundled here and loaded from memory), written into the bundles.
const pythonDir = join(root, "plugins/ceph");
const digestModule = await build({
  entryPoints: [join(pythonDir, "python-digest.ts")],
  bundle: true,
  write: false,
  format: "esm",
  platform: "node",
  target: "node20",
  logLevel: "warning",
});
const { pythonDigest } = await import(`data:text/javascript;base64,${Buffer.from(digestModule.outputFiles[0].text).toString("base64")}`);

// execa and yargs, with what they import, are half of what the plugins would bundle, and only a
// CLI call, a child process or the admin's human mode uses them: bundles of their own, required
// on those paths only, so that every verb reads and takes from its code cache just the rest
// (lib/volume.cjs 376 -> 139 kB; a warm Volume.stat 168-172 -> 160-162 M instructions).
// Each as CommonJS the way the sources import it: as an ES module importing CommonJS gets
// module.exports for its default import (Node's rule, which esbuild follows in this "type":
// "module" package), yargs' module.exports is its default export; execa is used by its names.
const VENDORED = { execa: 'module.exports = require("execa");', yargs: 'module.exports = require("yargs").default;' };
const vendored = {
  name: "vendored",
  setup: (b) => b.onResolve({ filter: new RegExp(`^(${Object.keys(VENDORED).join("|")})$`) }, (a) => ({ path: `./${a.path}.cjs`, external: true })),
};
const common = {
  write: false,
  outdir: lib,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: false,
  outExtension: { ".js": ".cjs" },
  // Some modules locate files from import.meta.url: computed when first read, not by every
  // verb as its bundle loads (pathToFileURL was 1 ms of a profiled Plugin.Query).
  banner: { js: 'const __importMeta = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  logLevel: "warning",
};
const vendor = (
  await Promise.all(
    Object.entries(VENDORED).map(([name, contents]) =>
      build({
        ...common,
        stdin: { contents, resolveDir: root, sourcefile: `${name}.cjs` },
        outfile: join(lib, `${name}.cjs`),
        outdir: undefined,
        define: { "import.meta.url": "__importMeta.url" },
      }),
    ),
  )
).flatMap((r) => r.outputFiles);

// CommonJS, one file per plugin kind: measured cheaper to start than an ES module graph
// (no async loader, one file read), and each verb's code is still only evaluated when called,
// because the verb tables' dynamic imports become lazy initialisers in the bundle.
const benchFloor = process.argv.includes("--bench-floor");
const result = await build({
  ...common,
  plugins: [vendored],
  // import() of a vendored bundle as require(): the plugin's bundle runs from a vm.Script (its
  // code cache), which has no dynamic import, and require() is what loads CommonJS by its names.
  supported: { "dynamic-import": false },
  entryPoints: {
    volume: join(root, "volume/main.ts"),
    datapath: join(root, "datapath/main.ts"),
    admin: join(root, "volume/admin/main.ts"),
    early: join(root, "plugins/runtime/early.ts"),
    load: join(root, "plugins/runtime/code-cache.ts"),
    "volume-query": join(root, "volume/query-main.ts"),
    "datapath-query": join(root, "datapath/query-main.ts"),
    ...(benchFloor && {
      "bench-floor-bare": join(root, "scripts/bench/floor/bare.ts"),
      "bench-floor-checked": join(root, "scripts/bench/floor/checked.ts"),
    }),
  },
  define: {
    __PLUGIN_VERSION__: JSON.stringify(pkg.version),
    __PYTHON_DIGEST__: JSON.stringify(pythonDigest(pythonDir)),
    "import.meta.url": "__importMeta.url",
  },
});
// Each file replaced by a rename, so a verb running meanwhile (the demo, xapi-storage-script on a
// test host) sees the old bundle or the new one, never none.
await mkdir(lib, { recursive: true });
// The librados session's Python half, every .py of plugins/ceph/, sits beside the bundles, where
// session.ts looks for its entry and the entry for its modules.
const sessionScripts = await Promise.all(
  (await readdir(pythonDir))
    .filter((name) => name.endsWith(".py"))
    .map(async (name) => ({ path: join(lib, name), contents: await readFile(join(pythonDir, name)) })),
);
for (const file of [...vendor, ...result.outputFiles, ...sessionScripts]) {
  await writeFile(`${file.path}.tmp`, file.contents);
  await rename(`${file.path}.tmp`, file.path);
}
// Their bytecode, by the Python the plugins run here (CEPH_RBD_PYTHON, else /usr/bin/python3): the
// helper never writes it itself (the installed directory stays as installed), and compiling its
// modules from source cost every session's start ~13 ms. The RPM leaves this out and compiles in
// its %post, by the host's own Python.
const python = process.env.CEPH_RBD_PYTHON || "/usr/bin/python3";
if (existsSync(python)) {
  const c = spawnSync(python, ["-E", "-S", "-m", "compileall", "-q", "-l", lib], { encoding: "utf8" });
  if (c.status !== 0) throw new Error(`${python} -m compileall ${lib} failed: ${c.stdout}${c.stderr}`);
} else {
  process.stderr.write(`build: no ${python}: the session helper's bytecode is not compiled\n`);
}

// A launcher names its verb and requires the bundle by a path relative to itself (Node resolves
// a symlinked path first, so this holds through the RPM's published links too).
//   node    two lines of CommonJS, run by Node through the shebang.
//   dual    the same, run the same way, but also valid Python: with SMAPI tracing on,
//           xapi-storage-script runs `python3 -m observer <file> --json`, i.e. the file as Python
//           source; the Python part then runs Node on this same file. Costs nothing otherwise.
//   python  the dual file with a python3 shebang: every call starts Python, which execs Node.
// Measured in scripts/rpm/bench-launchers.mjs; the figures and the choice are in the README.
const launcher = (bundle, verb, call) => {
  // early.cjs first: it starts what the verb will need, then loads the plugin's bundle through
  // the code cache. Plugin.Query goes that way only outside xapi's wire mode (runtime/light.ts).
  const full = `require(${JSON.stringify(join(dirname(bundle), "early.cjs"))}).early(${JSON.stringify(verb)}, require.resolve(${JSON.stringify(bundle)})${call.cephless?.includes(verb) ? ", false" : ""}).main(${call.args(verb)})`;
  const light = `require(${JSON.stringify(join(dirname(bundle), "load.cjs"))}).load(require.resolve(${JSON.stringify(bundle.replace(/\.cjs$/, "-query.cjs"))}), ${JSON.stringify(verb)}).main(${[...call.light, `() => ${full}`].join(", ")})`;
  const js = `${verb === "Plugin.Query" ? light : full};\n`;
  if (form === "node") return `#!${nodeCmd.join(" ")}\n${js}`;
  const shebang = form === "python" ? "#!/usr/bin/python3" : `#!${nodeCmd.join(" ")}`;
  // Node strips the shebang and sees `1`, the require line and a block comment; Python sees `1 // 1`,
  // a string holding the JS, then the code between the string and the comment's closing line.
  return `${shebang}
1 // 1; """
${js}/* """
# Run as Python (xapi-storage-script's tracing mode, or a python3 shebang): hand over to Node,
# which runs this same file. Under the observer (runpy), wait for Node so that the observer can
# close its trace span; run on its own, become Node.
import os, sys
argv = ${JSON.stringify(nodeCmd)} + [__file__] + sys.argv[1:]
if sys._getframe().f_back is None:
    os.execv(argv[0], argv)
import subprocess
code = subprocess.call(argv)
if code:
    sys.exit(code if code > 0 else 128 - code)
# */
`;
};

// Each plugin directory is written aside and renamed into place: xapi-storage-script watches
// the parent non-recursively and skips a datapath plugin seen half-written.
async function writePlugin(dir, verbs, call) {
  const target = join(out, dir);
  const staging = `${target}.new`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const verb of verbs) {
    const file = join(staging, verb);
    const bundle = relative(target, join(lib, call.bundle));
    await writeFile(file, launcher(bundle.startsWith(".") ? bundle : `./${bundle}`, verb, call));
    await chmod(file, 0o755);
  }
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
}

// The launchers are CommonJS and this checkout's package is an ES module one: the generated
// parents declare their own scope (on a host, /usr/libexec has no package.json at all).
for (const kind of ["volume", "datapath"]) {
  await mkdir(join(out, kind), { recursive: true });
  await writeFile(join(out, kind, "package.json"), '{ "type": "commonjs" }\n');
}

const require = createRequire(import.meta.url);
const volume = require(join(lib, "volume.cjs"));
const datapath = require(join(lib, "datapath.cjs"));
await writePlugin(VOLUME_DIR, Object.keys(volume.verbs), { bundle: "volume.cjs", args: (v) => JSON.stringify(v), light: [] });
for (const [scheme, table] of Object.entries(datapath.verbs)) {
  await writePlugin(`datapath/${scheme}`, Object.keys(table), {
    bundle: "datapath.cjs",
    args: (v) => `${JSON.stringify(scheme)}, ${JSON.stringify(v)}`,
    light: [JSON.stringify(scheme)],
    cephless: datapath.cephless[scheme],
  });
}
// The admin command, also what SR.attach starts as this host's GC worker.
await mkdir(join(out, "bin"), { recursive: true });
await writeFile(join(out, "bin", "ceph-rbd-admin.tmp"), `#!${nodeCmd.join(" ")}\nrequire("../lib/admin.cjs").main();\n`);
await chmod(join(out, "bin", "ceph-rbd-admin.tmp"), 0o755);
await rename(join(out, "bin", "ceph-rbd-admin.tmp"), join(out, "bin", "ceph-rbd-admin"));
await writeFile(join(out, "bin", "package.json"), '{ "type": "commonjs" }\n');
// The floor clients run as a verb would: a launcher that loads their bundle through the code cache.
if (benchFloor) {
  await mkdir(join(out, "bench-floor"), { recursive: true });
  await writeFile(join(out, "bench-floor", "package.json"), '{ "type": "commonjs" }\n');
  for (const [mode, bundle] of [
    ["bare", "bare"],
    ["cold", "bare"],
    ["checked", "checked"],
    ["op", "checked"],
  ]) {
    const file = join(out, "bench-floor", mode);
    await writeFile(
      file,
      `#!${nodeCmd.join(" ")}\nrequire("../lib/load.cjs").load(require.resolve("../lib/bench-floor-${bundle}.cjs"), "${mode}").main("${mode}");\n`,
    );
    await chmod(file, 0o755);
  }
}
process.stderr.write(
  `built ${Object.keys(volume.verbs).length} volume verbs and ${Object.keys(datapath.verbs).length} datapath plugins (${form} launchers) in ${out.startsWith(`${root}/`) ? relative(root, out) : out}/\n`,
);
