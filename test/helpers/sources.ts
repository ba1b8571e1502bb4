// Lines of the product's code (not comments, not the build's output) that match a pattern, for
// tests that hold a fact to one home: a second spelling elsewhere shows up here.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

const files = (): string[] =>
  ["plugins", "volume", "datapath"].flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.(ts|py)$/.test(e.name))
      .map((e) => join(e.parentPath ?? e.path, e.name).slice(root.length + 1))
      .filter((f) => !f.startsWith("plugins/lib/")),
  );

// "file: line" for each code line matching `re`, outside the files in `allowed`.
export const codeLines = (re: RegExp, allowed: readonly string[] = []): string[] =>
  files()
    .filter((f) => !allowed.includes(f))
    .flatMap((f) =>
      readFileSync(join(root, f), "utf8")
        .split("\n")
        .filter((l) => !/^\s*(\/\/|#)/.test(l) && re.test(l))
        .map((l) => `${f}: ${l.trim()}`),
    );
