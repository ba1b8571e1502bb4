// Builds the install tree, runnable in place:
//   plugins/lib/                              one bundle (ESM, split per verb so a call loads only its verb)
//   plugins/volume/org.xen.xapi.storage.ceph-rbd/<Verb>   one launcher per implemented verb
//   plugins/datapath/<scheme>/<Verb>
// Verb names come from the built verb tables themselves, so files and code cannot drift.
import { build } from "esbuild";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "plugins");
const lib = join(out, "lib");
const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));

export const VOLUME_DIR = "volume/org.xen.xapi.storage.ceph-rbd";

await rm(lib, { recursive: true, force: true });
await build({
  entryPoints: { volume: join(root, "volume/main.ts"), datapath: join(root, "datapath/main.ts") },
  outdir: lib,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: false,
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  define: { __PLUGIN_VERSION__: JSON.stringify(pkg.version) },
  // Some dependencies are CommonJS inside and require() Node built-ins.
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  logLevel: "warning",
});

// A launcher is plain JavaScript that is valid both as CommonJS and as an ES module, so it runs
// from this checkout (package type module) and from /usr/libexec (no package.json) alike.
const launcher = (bundle, call) => `#!/usr/bin/env node\nimport(${JSON.stringify(bundle)}).then((m) => m.main(${call}));\n`;

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

// The launchers' names end in ".attach", ".Query" ...: Node runs such files only as CommonJS, so
// the generated parents declare that scope (on a host, /usr/libexec has no package.json at all).
for (const kind of ["volume", "datapath"]) {
  await mkdir(join(out, kind), { recursive: true });
  await writeFile(join(out, kind, "package.json"), '{ "type": "commonjs" }\n');
}

const volume = await import(pathToFileURL(join(lib, "volume.mjs")).href);
const datapath = await import(pathToFileURL(join(lib, "datapath.mjs")).href);
await writePlugin(VOLUME_DIR, Object.keys(volume.verbs), { bundle: "volume.mjs", args: (v) => JSON.stringify(v) });
for (const [scheme, table] of Object.entries(datapath.verbs)) {
  await writePlugin(`datapath/${scheme}`, Object.keys(table), { bundle: "datapath.mjs", args: (v) => `${JSON.stringify(scheme)}, ${JSON.stringify(v)}` });
}
process.stderr.write(`built ${Object.keys(volume.verbs).length} volume verbs and ${Object.keys(datapath.verbs).length} datapath plugins in ${relative(root, out)}/\n`);
