// `rados listomapvals` has no JSON output in Pacific: it prints each key on its own line, then
// `value (N bytes) :`, then Ceph's hexdump of the value (16 bytes a line, `*` standing for
// lines equal to the one before, a final line with the total length), then a blank line.
// Keys must not contain newlines; the callers encode any key part that could.

const HEADER = /^value \((\d+) bytes\) :$/;
const ROW = /^([0-9a-f]{8})  ((?:[0-9a-f]{2} {1,2}){0,16})/;

export function parseOmapDump(text: string): Map<string, Buffer> {
  const lines = text.split("\n");
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < lines.length) {
    const key = lines[i] ?? "";
    const header = HEADER.exec(lines[i + 1] ?? "");
    if (!header) {
      if (key === "") {
        i++;
        continue;
      }
      throw new Error(`unexpected omap listing line ${i + 1}: ${key.slice(0, 80)}`);
    }
    const length = Number(header[1]);
    const value = Buffer.alloc(length);
    let previous: number[] = [];
    let filled = 0;
    i += 2;
    while (i < lines.length && lines[i] !== "") {
      const line = lines[i] ?? "";
      if (line === "*") {
        i++;
        continue;
      }
      const row = ROW.exec(line);
      const offset = row ? parseInt(row[1] ?? "0", 16) : parseInt(line, 16);
      if (!Number.isFinite(offset) || offset > length || offset < filled) throw new Error(`omap value of ${key}: offset ${line.slice(0, 8)} out of order`);
      // Rows elided by `*` repeat the last row printed, up to this row's offset.
      while (filled < offset && previous.length > 0) {
        for (const b of previous) if (filled < length) value[filled++] = b;
      }
      if (row) {
        previous = (row[2] ?? "").trim().split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16));
        for (const b of previous) if (filled < length) value[filled++] = b;
      }
      i++;
    }
    if (filled !== length) throw new Error(`omap value of ${key} is ${filled} bytes, expected ${length}`);
    out.set(key, value);
  }
  return out;
}
