// The changed-block bitmap of Volume.list_changed_blocks, exactly as xapi's consumers read it.
//
// Format (the sources it is matched against):
//  - One bit per 64 KiB block, `granularity` 65536: XenAPI's VDI.list_changed_blocks ("compare two
//    VDIs in 64k block increments"); xapi-project/sm drivers/VDI.py list_changed_blocks reads
//    blktap's log with CBT_BLOCK_SIZE 64 KiB and expects `size // CBT_BLOCK_SIZE` bits; Xen
//    Orchestra's @xen-orchestra/xapi/disks/XapiVhdCbt.mjs counts 32 bits (4 bytes) per 2 MiB block.
//  - Bit order: the most significant bit of byte 0 is block 0 (block i is byte i >> 3, mask
//    0x80 >> (i & 7)). sm's list_changed_blocks turns blktap's LSB-first log into this order
//    (bitarray `bytereverse()`, then big-endian `tobytes()`); Xen Orchestra's NBD+CBT example
//    (@vates/nbd-client) tests `(map[bit >> 3] << (bit & 7)) & 0x80`.
//  - Length: ceil(blocks / 8) bytes, the last byte's unused low bits 0 (bitarray's padding).
//    Xen Orchestra reads the bitmap 4 bytes at a time (readUInt32BE per 2 MiB): volume sizes
//    here are whole 4 MiB objects, so every bitmap of a whole volume is a multiple of 8 bytes.
//  - Encoding: standard base64 with padding (Python's base64.b64encode in sm; Xen Orchestra
//    decodes with Buffer.from(x, 'base64')). xapi-storage-script (ocaml/xapi-storage-script/
//    main.ml, vdi_list_changed_blocks_impl) sends offset 0 and length -1 and hands xapi only the
//    `bitmap` field, so a consumer learns the granularity from the format alone.
//  - An unaligned extent is widened to whole blocks (xapi-storage's control.ml: "the bitmap will
//    cover the area extended to the nearest block boundaries"): bit 0 is the block holding
//    `offset`, and a block touched by any changed byte is set.
export const CBT_BLOCK = 65536;

// The blocks [first, first + count) of the disk, and the bitmap of the byte extents that changed.
export function changedBitmap(first: number, count: number, extents: ReadonlyArray<readonly [number, number]>): Buffer {
  const bits = Buffer.alloc(Math.ceil(count / 8));
  for (const [offset, length] of extents) {
    if (length <= 0) continue;
    const from = Math.max(Math.floor(offset / CBT_BLOCK), first) - first;
    const to = Math.min(Math.ceil((offset + length) / CBT_BLOCK), first + count) - first;
    setRange(bits, from, to);
  }
  return bits;
}

// Sets bits [from, to): whole bytes at once in the middle, since a changed range can span
// millions of blocks.
function setRange(bits: Buffer, from: number, to: number): void {
  let i = from;
  for (; i < to && (i & 7) !== 0; i++) bits[i >> 3] = (bits[i >> 3] ?? 0) | (0x80 >> (i & 7));
  const whole = (to - i) >> 3;
  if (whole > 0) {
    bits.fill(0xff, i >> 3, (i >> 3) + whole);
    i += whole * 8;
  }
  for (; i < to; i++) bits[i >> 3] = (bits[i >> 3] ?? 0) | (0x80 >> (i & 7));
}

// The blocks a request covers: [offset, offset + length) widened to whole blocks and clipped to
// the disk; a negative length means "to the end" (xapi-storage-script always sends -1).
export function blockRange(size: number, offset: number, length: number): { first: number; count: number } {
  const end = length < 0 ? size : Math.min(offset + length, size);
  const first = Math.floor(offset / CBT_BLOCK);
  return { first, count: Math.max(0, Math.ceil(end / CBT_BLOCK) - first) };
}
