// A verb's stdout and stderr are written with write(2) (plugins/std-write.ts). A descriptor
// left non-blocking by whoever started the verb fills up under a slow reader (EAGAIN): the rest
// must still arrive, whole and in order.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..");

// A program that writes `count` numbered lines to stdout in `chunks` calls, then a last line.
const writer = buildSync({
  stdin: {
    contents: `import { writeStd } from "./plugins/std-write.ts";
      const [count, chunks] = process.argv.slice(1).map(Number);
      const per = count / chunks;
      for (let c = 0; c < chunks; c++) void writeStd(1, Array.from({ length: per }, (_, i) => \`line \${c * per + i}\\n\`).join(""));
      void writeStd(1, "end\\n");`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "cjs",
  write: false,
}).outputFiles[0]!.text;

// Python starts it with stdout on a pipe whose write end is non-blocking, and reads slowly.
const READER = `
import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(w, ${"{"}blocking${"}"})
p = subprocess.Popen([sys.argv[1], "-e", sys.argv[2], sys.argv[3], sys.argv[4]], stdout=w)
os.close(w)
out = bytearray()
while True:
    time.sleep(0.002)
    b = os.read(r, 16384)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)
sys.exit(p.wait())
`;

const run = (blocking: boolean, count: number, chunks: number) =>
  spawnSync("python3", ["-c", READER.replace("{blocking}", blocking ? "True" : "False"), process.execPath, writer, String(count), String(chunks)], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });

describe("writeStd", () => {
  it.each([
    ["a blocking pipe", true],
    ["a non-blocking pipe (EAGAIN: the rest goes through the stream)", false],
  ])("on %s, a result of many times the pipe's size arrives whole and in order", (_, blocking) => {
    const count = 200_000;
    const r = run(blocking, count, 4);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.at(-2)).toBe("end");
    expect(lines.slice(0, count)).toEqual(Array.from({ length: count }, (_, i) => `line ${i}`));
  });
});
