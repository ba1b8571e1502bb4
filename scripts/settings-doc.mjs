// Writes docs/settings.md from plugins/settings.ts's table (test/unit/settings.test.ts fails while
// the file differs from what the table says).
import { build } from "esbuild";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = await build({ entryPoints: [join(root, "plugins/settings-doc.ts")], bundle: true, format: "esm", platform: "node", write: false });
const { settingsDoc } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
await writeFile(join(root, "docs/settings.md"), settingsDoc());
