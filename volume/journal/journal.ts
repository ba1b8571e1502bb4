// The journal of multi-step operations, kept as `op:<id>` entries in the SR's metadata omap.
//
// Ordering rules (every operation that touches more than one object follows them):
//  1. Intent first. The op entry, holding every name the operation will create or remove, is
//     written before the first side effect. Names are chosen before the entry is written and
//     never reused, so a half-done step can always be found again from the entry alone.
//  2. One commit point. The operation becomes visible (or invisible) to xapi through exactly one
//     omap write or removal of `vol:<key>`: before it SR.ls shows the state as before, after it
//     the state as after, never anything in between.
//  3. Idempotent steps. Each step can be repeated: creating what exists, or removing what is
//     gone, counts as done.
//  4. Intent last. The op entry is removed after the last step, so its presence means the
//     operation may be unfinished.
//  5. Recovery. An entry whose owner is gone (its lock is free, or it is older than the lease) is
//     finished by whoever finds it: rolled back if its commit point was not reached (the caller
//     got an error or nothing, so nothing may appear), rolled forward if it was (the caller may
//     have been told it succeeded). See recover.ts.
import { randomUUID } from "node:crypto";
import * as z from "zod/mini";
import { once } from "../../plugins/wire/once.js";
import { readRecord } from "../../plugins/wire/sr-object.js";
import { K } from "../meta/layout.js";
import { drop, put, update, type Sr } from "../meta/store.js";
import { crashPoint } from "../../plugins/crash.js";

export const Op = once(() =>
  z.discriminatedUnion("op", [
    z.object({ op: z.literal("create"), key: z.string(), image: z.string() }),
    z.object({ op: z.literal("snapshot"), key: z.string(), newKey: z.string(), image: z.string(), snap: z.string() }),
    z.object({
      op: z.literal("clone"),
      key: z.string(),
      newKey: z.string(),
      image: z.string(),
      parent: z.string(),
      parentSnap: z.string(),
      // Set when cloning a writable volume: a temporary snapshot of its head.
      hidden: z.boolean(),
    }),
    z.object({
      op: z.literal("destroy"),
      key: z.string(),
      image: z.string(),
      // delete: the image goes to the trash; tombstone: kept for its snapshots; snapshot: an RBD snapshot goes.
      mode: z.enum(["delete", "tombstone", "snapshot"]),
      snap: z.optional(z.string()),
      entries: z.array(z.string()),
    }),
    z.object({ op: z.literal("resize"), key: z.string(), image: z.string(), size: z.number() }),
    // The volume's key moves from `old` to `image`, a clone of the snapshot; `old` is tombstoned.
    z.object({ op: z.literal("revert"), key: z.string(), snapshot: z.string(), image: z.string(), old: z.string(), snapImage: z.string(), snap: z.string() }),
  ]),
);
export type Op = z.infer<ReturnType<typeof Op>>;

export interface Entry {
  readonly id: string;
  readonly started: string;
  readonly owner: string;
  readonly op: Op;
}
const EntrySchema = once(() => z.object({ id: z.string(), started: z.string(), owner: z.string(), op: Op() }));

export const parseEntry = (text: string): Entry | undefined => readRecord(EntrySchema(), text);

// The lock an operation runs under, so recovery can tell a live operation from a dead one.
export const lockOf = (op: Op): string => K.vol(op.key);

export async function begin(sr: Sr, op: Op): Promise<Entry> {
  const entry: Entry = { id: randomUUID(), started: new Date().toISOString(), owner: `${process.pid}`, op };
  crashPoint(`${op.op}:before-intent`);
  await put(sr, K.op(entry.id), JSON.stringify(entry));
  crashPoint(`${op.op}:intent`);
  return entry;
}

// The intent, written while a check runs: a failed check removes the intent again.
export async function intentIf(sr: Sr, op: Op, check: Promise<void>): Promise<Entry> {
  const [checked, written] = await Promise.allSettled([check, begin(sr, op)]);
  if (checked.status === "rejected") {
    if (written.status === "fulfilled") await finish(sr, written.value);
    throw checked.reason;
  }
  if (written.status === "rejected") throw written.reason;
  return written.value;
}

export async function finish(sr: Sr, entry: Entry): Promise<void> {
  crashPoint(`${entry.op.op}:before-finish`);
  await drop(sr, K.op(entry.id));
}

// Rule 4 for an operation whose commit is its last step: the commit and the intent's removal
// are one atomic write, with no state in between for recovery to find.
export async function commitLast(sr: Sr, entry: Entry, set: Readonly<Record<string, string>>): Promise<void> {
  await update(sr, set, [K.op(entry.id)]);
  step(entry, "commit");
}

export function step(entry: Entry, name: string): void {
  crashPoint(`${entry.op.op}:${name}`);
}
