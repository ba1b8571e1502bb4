// The changed-block topic's steps (cbt.mjs): a disk exported through rbd+nbd and copied by a
// backup's reader (scripts/nbd-copy.mjs), whole or by a Volume.list_changed_blocks bitmap, and
// 64 KiB writes at chosen places through librbd.
import { createHash } from "node:crypto";
import { createReadStream, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./base.mjs";
import { callDatapath, callVerb, cephArgs, tool } from "./commands.mjs";
import { cluster } from "./state.mjs";

export const BLOCK = 65536;

// A snapshot's NBD export for `fn(socket, exportName)`, taken down afterwards.
export async function withExport(vol, fn) {
  const uri = vol.uri.find((u) => u.startsWith("rbd+nbd://"));
  if (!uri) throw new Error(`no rbd+nbd URI for ${vol.key}: ${JSON.stringify(vol.uri)}`);
  const domain = "0";
  const a = await callDatapath("attach", { uri, domain });
  try {
    const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(a.json.implementations.find(([k]) => k === "Nbd")?.[1]?.uri ?? "");
    if (!m) throw new Error(`Datapath.attach returned no NBD URI: ${JSON.stringify(a.json)}`);
    await callDatapath("activate", { uri, domain });
    return await fn(m[1], m[2]);
  } finally {
    await callDatapath("deactivate", { uri, domain }, { ignoreInterrupt: true });
    await callDatapath("detach", { uri, domain }, { ignoreInterrupt: true });
  }
}

// Copies the export into `file` (whole, or the bitmap's blocks into an existing copy): the
// reader's figures, bytes read and its wall time from spawn to exit.
export async function nbdCopy(socket, name, file, bitmap) {
  const r = await tool(process.execPath, [
    join(ROOT, "scripts/nbd-copy.mjs"),
    "--socket",
    socket,
    "--export",
    name,
    "--out",
    file,
    ...(bitmap ? ["--bitmap", bitmap] : []),
  ]);
  return { ...JSON.parse(r.stdout), wall: r.ms };
}

export const listChanged = (sr, key, key2) => callVerb("Volume.list_changed_blocks", { sr, key, key2, offset: 0, length: -1 });

export const bitsSet = (b64) => {
  let n = 0;
  for (const byte of Buffer.from(b64, "base64")) for (let i = 0; i < 8; i++) n += (byte >> i) & 1;
  return n;
};

// 64 KiB writes at the given block indexes, one qemu-io process per 500 (librbd underneath).
export async function writeBlocks(spec, blocks, byte) {
  const target = `rbd:${spec}:conf=${cluster.conf}:id=${cluster.user}`;
  for (let i = 0; i < blocks.length; i += 500) {
    const cmds = blocks.slice(i, i + 500).flatMap((b) => ["-c", `write -P 0x${byte.toString(16)} ${b * BLOCK} ${BLOCK}`]);
    await tool("qemu-io", ["-f", "raw", ...cmds, target]);
  }
}

// `count` distinct block indexes below `total`, from a fixed seed (the same every run).
export function distinctBlocks(total, count, seed) {
  let s = seed >>> 0 || 1;
  const picked = new Set();
  while (picked.size < count) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    picked.add(s % total);
  }
  return [...picked].sort((a, b) => a - b);
}

export const sha256File = (file) =>
  new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => h.update(d))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });

// SHA-256 of an image or snapshot as `rbd export` reads it.
export async function sha256Rbd(spec, scratch) {
  rmSync(scratch, { force: true });
  await tool("rbd", [...cephArgs(), "export", "--no-progress", spec, scratch]);
  return sha256File(scratch);
}
