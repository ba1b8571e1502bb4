// Changed-block tests' tools: many writes through librbd in one qemu-io run, the blocks a set of
// writes touches, and a bitmap decoded as xapi's consumers decode it (MSB first, 64 KiB a bit).
import { execFileSync } from "node:child_process";
import { inject } from "vitest";
import { specOf } from "./rbd-data.js";
import { call } from "./run-verb.js";

export const BLOCK = 65536;

export type Write = readonly [offset: number, length: number, byte: number];

// Every write in one qemu-io process (qemu's rbd driver, librbd underneath), in order.
export function writeAll(uri: string, writes: readonly Write[], conf = inject("ceph").conf): void {
  const cmds = writes.flatMap(([o, l, b]) => ["-c", `write -P 0x${b.toString(16)} ${o} ${l}`]);
  for (let i = 0; i < cmds.length; i += 400)
    execFileSync("qemu-io", ["-f", "raw", ...cmds.slice(i, i + 400), `rbd:${specOf(uri)}:conf=${conf}:id=admin`], { stdio: "ignore" });
}

// The 64 KiB blocks the writes touch.
export const touched = (writes: readonly Write[]): number[] => {
  const s = new Set<number>();
  for (const [o, l] of writes) for (let b = Math.floor(o / BLOCK); b < Math.ceil((o + l) / BLOCK); b++) s.add(b);
  return [...s].sort((a, b) => a - b);
};

export const decodeBitmap = (b64: string): number[] => {
  const map = Buffer.from(b64, "base64");
  const out: number[] = [];
  for (let i = 0; i < map.length * 8; i++) if ((((map[i >> 3] ?? 0) << (i & 7)) & 0x80) !== 0) out.push(i);
  return out;
};

export interface ChangedBlocks {
  granularity: number;
  bitmap: string;
}

export const listChanged = (sr: string, key: string, key2: string, offset = 0, length = -1): Promise<ChangedBlocks> =>
  call<ChangedBlocks>("Volume.list_changed_blocks", { sr, key, key2, offset, length });

// A deterministic generator, so that a failing case can be run again as it was.
export function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}
