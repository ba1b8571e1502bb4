// parseOmapDump against the text `rados listomapvals` really prints (Ceph's
// buffer::list::hexdump), and a property test through an encoder of that same format.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { parseOmapDump } from "../../plugins/ceph/omap-dump.js";

// Captured on a Pacific cluster for three keys (`*`: rows elided as equal to the one before).
const SAMPLE = `k2
value (0 bytes) :

nam:abc
value (20 bytes) :
00000000  6c 69 6e 65 31 0a 6c 69  6e 65 32 20 22 71 22 20  |line1.line2 "q" |
00000010  24 28 78 29                                       |$(x)|
00000014

big
value (140 bytes) :
00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|
*
00000060  61 61 61 61 62 62 62 62  62 62 62 62 62 62 62 62  |aaaabbbbbbbbbbbb|
00000070  62 62 62 62 62 62 62 62  62 62 62 62 62 62 62 62  |bbbbbbbbbbbbbbbb|
00000080  62 62 62 62 62 62 62 62  62 62 62 62              |bbbbbbbbbbbb|
0000008c

`;

const SAMPLE_VALUES = new Map<string, Buffer>([
  ["k2", Buffer.alloc(0)],
  ["nam:abc", Buffer.from('line1\nline2 "q" $(x)')],
  ["big", Buffer.from("a".repeat(100) + "b".repeat(40))],
]);

// --- An encoder of the same format -------------------------------------------------------
// "ceph": Ceph's own rule (a row made of one repeated byte, equal to the row before, and never
// the last row, is elided). "identical": hexdump -C's rule (any row equal to the one before,
// the last row included). The parser must read both.
type Elision = "ceph" | "identical";

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

function row(b: Buffer, o: number): string {
  let line = `${hex(o, 8)} `;
  let ascii = "";
  for (let i = 0; i < 16; i++) {
    if (i === 8) line += " ";
    const c = b[o + i];
    line += c === undefined ? "   " : ` ${hex(c, 2)}`;
    if (c !== undefined) ascii += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : ".";
  }
  return `${line}  |${ascii}|`;
}

function elided(b: Buffer, o: number, mode: Elision): boolean {
  if (o === 0) return false;
  const cur = b.subarray(o, o + 16);
  const prev = b.subarray(o - 16, o);
  if (mode === "identical") return cur.equals(prev);
  return o + 16 < b.length && cur.every((c) => c === prev[0]) && prev.every((c) => c === prev[0]);
}

function hexdump(b: Buffer, mode: Elision): string {
  if (b.length === 0) return "";
  const out: string[] = [];
  for (let o = 0; o < b.length; o += 16) {
    if (!elided(b, o, mode)) out.push(row(b, o));
    else if (out.at(-1) !== "*") out.push("*");
  }
  return `${out.join("\n")}\n${hex(b.length, 8)}\n`;
}

function encode(values: ReadonlyMap<string, Buffer>, mode: Elision = "ceph"): string {
  let text = "";
  for (const [k, v] of values) text += `${k}\nvalue (${v.length} bytes) :\n${hexdump(v, mode)}\n`;
  return text;
}

// --- Random values ------------------------------------------------------------------------
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r: () => number): Buffer {
  const length = Math.floor(r() * 5001);
  const parts: Buffer[] = [];
  let size = 0;
  while (size < length) {
    const n = Math.min(length - size, 1 + Math.floor(r() * (r() < 0.5 ? 40 : 1200)));
    const kind = Math.floor(r() * 4);
    let part: Buffer;
    if (kind === 0) part = Buffer.alloc(n, Math.floor(r() * 256)); // a long run of one byte
    else if (kind === 1) part = Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
    else if (kind === 2) part = Buffer.alloc(n, "\n");
    else {
      const pieces = ["é", "∂", "🚀", "\n", "a", " ", "$(x)", '"', "\u0000", "日本"];
      let s = "";
      while (Buffer.byteLength(s) < n) s += pieces[Math.floor(r() * pieces.length)];
      part = Buffer.from(s).subarray(0, n); // may cut a multibyte character: still just bytes
    }
    parts.push(part);
    size += part.length;
  }
  return Buffer.concat(parts, length);
}

describe("parseOmapDump on real output", () => {
  it("reads the captured sample, including the elided rows", () => {
    const parsed = parseOmapDump(SAMPLE);
    expect([...parsed.keys()]).toEqual(["k2", "nam:abc", "big"]);
    for (const [k, v] of SAMPLE_VALUES) expect(parsed.get(k)?.equals(v), k).toBe(true);
  });

  it("the test encoder reproduces the captured sample byte for byte", () => {
    expect(encode(SAMPLE_VALUES)).toBe(SAMPLE);
  });

  it("reads a listing without the final newline", () => {
    expect(parseOmapDump(SAMPLE.trimEnd()).get("big")?.length).toBe(140);
  });

  it.each(["", "\n", "\n\n\n"])("gives an empty map for empty input %j", (text) => {
    expect(parseOmapDump(text).size).toBe(0);
  });

  it.each([
    ["a line that is not a key", "hello world\n"],
    ["a key without a header", "k1\nk2\n"],
    ["a malformed header", "k\nvalue (x bytes) :\n\n"],
    ["a value shorter than announced", "k\nvalue (5 bytes) :\n00000000  61 61                                             |aa|\n00000002\n\n"],
    ["a value with no rows", "k\nvalue (2 bytes) :\n"],
    ["a listing cut in the middle", SAMPLE.slice(0, SAMPLE.indexOf("00000010  24"))],
    ["an error message", "error getting omap keys rbd/x: (2) No such file or directory\n"],
  ])("throws on %s", (_what, text) => {
    expect(() => parseOmapDump(text)).toThrow();
  });
});

describe("parseOmapDump round trip", () => {
  const r = rng(20261121);
  const values = Array.from({ length: 300 }, () => randomValue(r));
  // Edge lengths around the 16-byte rows and the elision rule.
  for (const n of [1, 15, 16, 17, 31, 32, 33, 48, 64, 4096]) {
    values.push(Buffer.alloc(n, 0x61), Buffer.alloc(n, 0x0a));
    values.push(Buffer.concat([Buffer.alloc(n, 0), Buffer.from([1])]));
  }

  it.each(["ceph", "identical"] as const)("is exact for every random value (%s elision)", (mode) => {
    for (let batch = 0; batch < values.length; batch += 25) {
      const expected = new Map(values.slice(batch, batch + 25).map((v, i) => [`key:${batch + i}:${encodeURIComponent(`k ${i}%:`)}`, v] as const));
      const text = encode(expected, mode);
      const parsed = parseOmapDump(text);
      expect([...parsed.keys()]).toEqual([...expected.keys()]);
      for (const [k, v] of expected) {
        const got = parsed.get(k);
        if (!got?.equals(v)) expect.fail(`${k}: ${v.length} bytes became ${got?.length} bytes (${mode})`);
      }
    }
  });

  it("the random values do exercise the elision", () => {
    const text = encode(new Map(values.map((v, i) => [String(i), v])));
    expect(text.split("\n").filter((l) => l === "*").length).toBeGreaterThan(50);
  });
});

// A sync infinite loop cannot be stopped inside this worker: run the parser in a child node.
describe("parseOmapDump on inconsistent offsets", () => {
  const code = transformSync(readFileSync(join(import.meta.dirname, "../../plugins/ceph/omap-dump.ts"), "utf8"), { loader: "ts", format: "esm" }).code;
  const parseInChild = (text: string) =>
    spawnSync(process.execPath, ["--input-type=module", "-e", `${code}\ntry { parseOmapDump(${JSON.stringify(text)}); console.log("parsed"); } catch (e) { console.log("threw"); }`], {
      timeout: 2000,
      encoding: "utf8",
    });

  it("the child harness works on a consistent listing", () => {
    expect(parseInChild(SAMPLE).stdout.trim()).toBe("parsed");
    expect(parseInChild("garbage\n").stdout.trim()).toBe("threw");
  });

  // An offset beyond the announced length (a final offset line, or a row after `*`) once made
  // the "fill elided rows" loop spin forever.
  it.each([
    ["a final offset line", "k\nvalue (2 bytes) :\n00000000  61 61                                             |aa|\n00000010\n\n"],
    ["a row after *", `k\nvalue (20 bytes) :\n${"00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|"}\n*\n00000030  61 61 61 61                                       |aaaa|\n00000034\n\n`],
  ])("throws, not hangs, when %s is beyond the value's length", (_what, text) => {
    const r = parseInChild(text);
    expect(r.error).toBeUndefined(); // ETIMEDOUT when the child had to be killed
    expect(r.stdout.trim()).toBe("threw");
  });
});
