// Builds the install tree, runnable in place:
//   plugins/lib/volume.cjs, datapath.cjs       one bundle per plugin kind

//   plugins/volume/org.xen.xapi.storage.ceph-rbd/<Verb>   one launcher per implemented verb
//   plugins/datapath/<scheme>/<Verb>
// Verb names come from the built verb tables themselves, so files and code cannot drift.
import { build } from "esbuild";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "plugins");
const lib = join(out, "lib");
const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));

export const VOLUME_DIR = "volume/org.xen.xapi.storage.ceph-rbd";

// CommonJS, one file per plugin kind: measured cheaper to start than an ES module graph
// (no async loader, one file read), and each verb's code is still only evaluated when called,
// because the verb tables' dynamic imports become lazy initialisers in the bundle.
const result = await build({
  write: false,
  entryPoints: { volume: join(root, "volume/main.ts"), datapath: join(root, "datapath/main.ts"), admin: join(root, "volume/admin/main.ts") },
  outdir: lib,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: false,
  outExtension: { ".js": ".cjs" },
  define: { __PLUGIN_VERSION__: JSON.stringify(pkg.version), "import.meta.url": "__importMetaUrl" },
  // Some dependencies are ES modules that locate files from import.meta.url.
  banner: { js: 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});
// Each file replaced by a rename, so a verb running meanwhile (another test run) sees the old
// bundle or the new one, never none.
await mkdir(lib, { recursive: true });
for (const file of result.outputFiles) {
  await writeFile(`${file.path}.tmp`, file.contents);
  await rename(`${file.path}.tmp`, file.path);
}

// A launcher is two lines of CommonJS naming its verb; the bundle path is relative to it.
const launcher = (bundle, call) => `#!/usr/bin/env node\nrequire(${JSON.stringify(bundle)}).main(${call});\n`;

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
    await writeFile(file, launcher(bundle.startsWith(".") ? bundle : `./${bundle}`, call.args(verb)));
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
await writePlugin(VOLUME_DIR, Object.keys(volume.verbs), { bundle: "volume.cjs", args: (v) => JSON.stringify(v) });
for (const [scheme, table] of Object.entries(datapath.verbs)) {
  await writePlugin(`datapath/${scheme}`, Object.keys(table), { bundle: "datapath.cjs", args: (v) => `${JSON.stringify(scheme)}, ${JSON.stringify(v)}` });
}
// The admin command, also what SR.attach starts as this host's GC worker.
await mkdir(join(out, "bin"), { recursive: true });
await writeFile(join(out, "bin", "ceph-rbd-admin.tmp"), `#!/usr/bin/env node\nrequire("../lib/admin.cjs").main();\n`);
await chmod(join(out, "bin", "ceph-rbd-admin.tmp"), 0o755);
await rename(join(out, "bin", "ceph-rbd-admin.tmp"), join(out, "bin", "ceph-rbd-admin"));
await writeFile(join(out, "bin", "package.json"), '{ "type": "commonjs" }\n');
process.stderr.write(`built ${Object.keys(volume.verbs).length} volume verbs and ${Object.keys(datapath.verbs).length} datapath plugins in ${relative(root, out)}/\n`);
