// The identity of the session's Python half: two FNV-1a digests (64 bits) over the names and
// contents of the .py files in a directory. The build computes it once, into the bundles
// (scripts/build.mjs): a verb that uses the session service then reads no file to know it (reading
// and digesting 50 KiB cost each such verb 3-10 ms). Code run from the sources computes it when asked.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fnv1a } from "../fnv.js";

export function pythonDigest(dir: string): string {
  const files = Buffer.concat(
    readdirSync(dir)
      .filter((n) => n.endsWith(".py"))
      .sort()
      .flatMap((name) => [Buffer.from(`${name}\0`), readFileSync(join(dir, name)), Buffer.from("\0")]),
  );
  return `${fnv1a(files)}${fnv1a(files, 0x01000193)}`;
}
