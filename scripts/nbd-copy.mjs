// A backup's reader, as a backup tool (Xen Orchestra's NBD+CBT export) reads a disk: the whole
// disk, or only the 64 KiB blocks a Volume.list_changed_blocks bitmap names, over NBD from the
// export a datapath (rbd+nbd) serves, into a file. For the demo and the benchmarks:
//   node scripts/nbd-copy.mjs --socket S --export NAME --out FILE [--bitmap BASE64]
// prints {"size", "read", "requests", "ms"} (bytes read from the export). The bitmap's format:
// plugins/wire/changed-blocks.ts (block i is bit 0x80 >> (i & 7) of byte i >> 3).
// NBD fixed newstyle, NBD_OPT_EXPORT_NAME, simple replies (the NBD protocol document).
import { connect } from "node:net";
import { openSync, writeSync, closeSync, ftruncateSync } from "node:fs";
import { parseArgs } from "node:util";

const BLOCK = 65536;
const CHUNK = 4 * 1024 * 1024;
// Requests in flight: 4 MiB pieces fill the pipe with few; scattered 64 KiB runs need more, each
// costing the export a librbd read of its own.
const depthFor = (bitmap) => (bitmap === undefined ? 16 : 64);
const { values: a } = parseArgs({ options: { socket: { type: "string" }, export: { type: "string" }, out: { type: "string" }, bitmap: { type: "string" } } });
if (!a.socket || a.export === undefined || !a.out) throw new Error("usage: nbd-copy.mjs --socket S --export NAME --out FILE [--bitmap BASE64]");

// Byte ranges to read: the whole disk in CHUNK pieces, or each run of changed blocks.
function ranges(size, bitmap) {
  const out = [];
  if (bitmap === undefined) {
    for (let o = 0; o < size; o += CHUNK) out.push([o, Math.min(CHUNK, size - o)]);
    return out;
  }
  const map = Buffer.from(bitmap, "base64");
  for (let i = 0; i < map.length * 8 && i * BLOCK < size; i++) {
    if ((map[i >> 3] & (0x80 >> (i & 7))) === 0) continue;
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === i * BLOCK && last[1] < CHUNK) last[1] += BLOCK;
    else out.push([i * BLOCK, BLOCK]);
  }
  return out.map(([o, l]) => [o, Math.min(l, size - o)]);
}

const sock = connect(a.socket);
// What arrived and is not consumed yet, as the pieces the socket gave (no copy until taken).
const chunks = [];
let have = 0;
let want = null;
const need = (n) =>
  new Promise((resolve) => {
    want = { n, resolve };
    pump();
  });
function take(n) {
  const parts = [];
  let left = n;
  while (left > 0) {
    const c = chunks[0];
    if (c.length <= left) {
      parts.push(chunks.shift());
      left -= c.length;
    } else {
      parts.push(c.subarray(0, left));
      chunks[0] = c.subarray(left);
      left = 0;
    }
  }
  have -= n;
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
}
function pump() {
  if (want && have >= want.n) {
    const { n, resolve } = want;
    want = null;
    resolve(take(n));
  }
}
sock.on("data", (d) => {
  chunks.push(d);
  have += d.length;
  pump();
});
sock.on("error", (e) => {
  console.error(`nbd-copy: ${e.message}`);
  process.exit(1);
});

const started = Date.now();
const hello = await need(18);
if (hello.toString("latin1", 0, 8) !== "NBDMAGIC") throw new Error("not an NBD server");
const flags = hello.readUInt16BE(16);
const noZeroes = (flags & 2) !== 0;
const cflags = Buffer.alloc(4);
cflags.writeUInt32BE(1 | (noZeroes ? 2 : 0));
const name = Buffer.from(a.export);
const opt = Buffer.alloc(16);
opt.write("IHAVEOPT", 0, "latin1");
opt.writeUInt32BE(1, 8);
opt.writeUInt32BE(name.length, 12);
sock.write(Buffer.concat([cflags, opt, name]));
const info = await need(noZeroes ? 10 : 134);
const size = Number(info.readBigUInt64BE(0));

const fd = openSync(a.out, a.bitmap === undefined ? "w" : "r+");
if (a.bitmap === undefined) ftruncateSync(fd, size);
const todo = ranges(size, a.bitmap);
const depth = depthFor(a.bitmap);
let read = 0;
// Requests in flight, by handle; replies come back in any order.
const inflight = new Map();
let next = 0;
function send() {
  while (inflight.size < depth && next < todo.length) {
    const [offset, length] = todo[next];
    const req = Buffer.alloc(28);
    req.writeUInt32BE(0x25609513, 0);
    req.writeUInt16BE(0, 6);
    req.writeBigUInt64BE(BigInt(next), 8);
    req.writeBigUInt64BE(BigInt(offset), 16);
    req.writeUInt32BE(length, 24);
    inflight.set(next, [offset, length]);
    next++;
    sock.write(req);
  }
}
send();
while (inflight.size > 0) {
  const reply = await need(16);
  if (reply.readUInt32BE(0) !== 0x67446698) throw new Error("bad NBD reply");
  if (reply.readUInt32BE(4) !== 0) throw new Error(`NBD read error ${reply.readUInt32BE(4)}`);
  const handle = Number(reply.readBigUInt64BE(8));
  const [offset, length] = inflight.get(handle);
  inflight.delete(handle);
  const data = await need(length);
  writeSync(fd, data, 0, length, offset);
  read += length;
  send();
}
closeSync(fd);
const disc = Buffer.alloc(28);
disc.writeUInt32BE(0x25609513, 0);
disc.writeUInt16BE(2, 6);
sock.end(disc);
process.stdout.write(`${JSON.stringify({ size, read, requests: todo.length, ms: Date.now() - started })}\n`);
