// `rados listomapvals` has no JSON output in Pacific: it prints each key on its own line, then
// `value (N bytes) :`, then Ceph's hexdump of the value (16 bytes a line: an 8-digit offset,
// two spaces, the bytes as `xx ` with one more space after the eighth, then `|ascii|`; `*`
// standing for lines equal to the one before; a final line with the total length), then a blank
// line. Keys must not contain newlines; the callers encode any key part that could.
//
// SR.ls parses this for every volume of the SR (tens of thousands of lines at 1000 volumes), in
// a fresh process each time: it works on column positions and native hex decoding, no regex
// per line.

const HEADER = /^value \((\d+) bytes\) :$/;
// Columns of the hex field: offset (8) + 2 spaces, then 16 bytes in 49 characters.
const HEX_START = 10;
const HEX_WIDTH = 49;

const rowBytes = (line: string): Buffer => Buffer.from(line.slice(HEX_START, HEX_START + HEX_WIDTH).replace(/ /g, ""), "hex");

export function parseOmapDump(text: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  const next = (): string | undefined => {
    if (pos >= text.length) return undefined;
    const end = text.indexOf("\n", pos);
    const line = end < 0 ? text.slice(pos) : text.slice(pos, end);
    pos = end < 0 ? text.length : end + 1;
    return line;
  };
  for (let key = next(); key !== undefined; key = next()) {
    if (key === "") continue;
    const header = HEADER.exec(next() ?? "");
    if (!header) throw new Error(`unexpected omap listing line: ${key.slice(0, 80)}`);
    const length = Number(header[1]);
    const value = Buffer.alloc(length);
    let previous: Buffer = Buffer.alloc(0);
    let filled = 0;
    for (let line = next(); line !== undefined && line !== ""; line = next()) {
      if (line === "*") continue;
      const offset = parseInt(line.slice(0, 8), 16);
      if (!Number.isFinite(offset) || offset > length || offset < filled) throw new Error(`omap value of ${key}: offset ${line.slice(0, 8)} out of order`);
      // Rows elided by `*` repeat the last row printed, up to this row's offset.
      while (filled < offset && previous.length > 0) filled += previous.copy(value, filled, 0, Math.min(previous.length, offset - filled));
      if (line.length > 8) {
        previous = rowBytes(line);
        filled += previous.copy(value, filled);
      }
    }
    if (filled !== length) throw new Error(`omap value of ${key} is ${filled} bytes, expected ${length}`);
    out.set(key, value);
  }
  return out;
}
