// The changed-block bitmap's format, as xapi's consumers decode it (sources in
// plugins/wire/changed-blocks.ts): 64 KiB per bit, block 0 the most significant bit of byte 0,
// ceil(blocks / 8) bytes, base64.
import { describe, expect, it } from "vitest";
import { blockRange, CBT_BLOCK, changedBitmap } from "../../plugins/wire/changed-blocks.js";

// Xen Orchestra's NBD+CBT example's test of bit i (@vates/nbd-client): MSB first.
const xoTest = (map: Buffer, bit: number): boolean => (((map[bit >> 3] ?? 0) << (bit & 7)) & 0x80) !== 0;
const setBits = (map: Buffer): number[] => [...Array(map.length * 8).keys()].filter((i) => xoTest(map, i));
const decode = (b64: string): Buffer => Buffer.from(b64, "base64");

describe("changedBitmap", () => {
  it("puts block 0 in the most significant bit of byte 0, block 9 in 0x40 of byte 1", () => {
    expect([...changedBitmap(0, 16, [[0, CBT_BLOCK]])]).toEqual([0x80, 0]);
    expect([...changedBitmap(0, 16, [[9 * CBT_BLOCK, 1]])]).toEqual([0, 0x40]);
    expect([...changedBitmap(0, 16, [[7 * CBT_BLOCK, CBT_BLOCK]])]).toEqual([0x01, 0]);
  });

  it("is ceil(blocks / 8) bytes, unused low bits zero, and survives base64 as Xen Orchestra decodes it", () => {
    const bits = changedBitmap(0, 13, [[0, 13 * CBT_BLOCK]]);
    expect(bits.length).toBe(2);
    expect([...bits]).toEqual([0xff, 0xf8]);
    expect(setBits(decode(bits.toString("base64")))).toEqual([...Array(13).keys()]);
    // A 4 MiB-rounded volume: a multiple of 8 bytes (XO reads 4 bytes per 2 MiB).
    expect(changedBitmap(0, (12 * 4 * 1024 * 1024) / CBT_BLOCK, []).length % 8).toBe(0);
  });

  it("sets every block an unaligned extent touches, and nothing else", () => {
    expect(setBits(changedBitmap(0, 8, [[CBT_BLOCK - 1, 2]]))).toEqual([0, 1]);
    expect(setBits(changedBitmap(0, 8, [[3 * CBT_BLOCK + 5, CBT_BLOCK - 5]]))).toEqual([3]);
    expect(setBits(changedBitmap(0, 8, [[3 * CBT_BLOCK + 5, CBT_BLOCK - 4]]))).toEqual([3, 4]);
    expect(setBits(changedBitmap(0, 8, [[0, 0]]))).toEqual([]);
  });

  it("agrees with a block-by-block model on random extents, long runs included", () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const count = 1 + rnd(300);
      const first = rnd(3);
      const extents: Array<[number, number]> = [];
      for (let e = rnd(6); e > 0; e--) extents.push([rnd((count + first) * CBT_BLOCK), 1 + rnd(40 * CBT_BLOCK)]);
      const want = new Set<number>();
      for (const [o, l] of extents)
        for (let b = Math.floor(o / CBT_BLOCK); b < Math.ceil((o + l) / CBT_BLOCK); b++) if (b >= first && b < first + count) want.add(b - first);
      const got = changedBitmap(first, count, extents);
      expect(got.length).toBe(Math.ceil(count / 8));
      expect(setBits(got)).toEqual([...want].sort((a, b) => a - b));
    }
  });
});

describe("blockRange", () => {
  const MiB = 1024 * 1024;
  it("covers the whole disk for xapi-storage-script's offset 0, length -1", () => {
    expect(blockRange(8 * MiB, 0, -1)).toEqual({ first: 0, count: 128 });
  });
  it("widens an unaligned extent to whole blocks and clips it to the disk", () => {
    expect(blockRange(8 * MiB, CBT_BLOCK + 1, CBT_BLOCK)).toEqual({ first: 1, count: 2 });
    expect(blockRange(8 * MiB, 8 * MiB - 1, 10 * MiB)).toEqual({ first: 127, count: 1 });
    expect(blockRange(8 * MiB, 8 * MiB, 5)).toEqual({ first: 128, count: 0 });
  });
});
