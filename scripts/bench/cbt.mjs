// Changed-block tracking (issue #20): Volume.list_changed_blocks on a 1 TiB thin volume with
// 1 GiB changed, with fast-diff and on an SR whose images have no object map (old kernels'
// features), and an incremental backup against a full one through the NBD export: bytes read
// against bytes changed, and time, with 5% of the disk changed. Each backup is checked: its
// SHA-256 equals the snapshot's.
import { copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GiB, log, MiB, TiB } from "./base.mjs";
import { BLOCK, bitsSet, distinctBlocks, listChanged, nbdCopy, sha256File, sha256Rbd, withExport, writeBlocks } from "./cbt-steps.mjs";
import { callVerb, ceph, rbdFill } from "./commands.mjs";
import { volumeSpec, withSr } from "./sr.mjs";
import { fmt, fmtRatio, fmtSummary, summary, table } from "./stats.mjs";

const OLD_KERNEL = { image_features: "layering,exclusive-lock" };

// A thin volume of `size` with CBT on, snapshot A, `changed` bytes written in 4 MiB pieces at
// random places, snapshot B; list_changed_blocks(A, B) `n` times. With `overwrite`, the writes are
// the disk's first `changed` bytes, written once before A too: every changed object existed at A,
// so the list reads no data (new objects are read to narrow them: see ceph_rbd_session_diff.py).
async function listing(label, extra, size, changed, n, overwrite = false) {
  return withSr(
    `bench cbt ${label}`,
    async (s) => {
      const v = (await callVerb("Volume.create", { sr: s.sr, name: "cbt", description: "bench", size, sharable: false })).json;
      await callVerb("Volume.enable_cbt", { sr: s.sr, key: v.key });
      if (overwrite) await rbdFill(volumeSpec(v).spec, changed, 4);
      const a = (await callVerb("Volume.snapshot", { sr: s.sr, key: v.key })).json;
      log(`cbt ${label}: writing ${changed / MiB} MiB ${overwrite ? "over the first ones" : "at random places"} of ${size / GiB} GiB`);
      if (overwrite) await rbdFill(volumeSpec(v).spec, changed, 4);
      else
        await ceph("rbd", [
          "bench",
          "--io-type",
          "write",
          "--io-size",
          "4M",
          "--io-threads",
          "4",
          "--io-total",
          String(changed),
          "--io-pattern",
          "rand",
          volumeSpec(v).spec,
        ]);
      const b = (await callVerb("Volume.snapshot", { sr: s.sr, key: v.key })).json;
      const ms = [];
      let blocks;
      for (let i = 0; i < n; i++) {
        const r = await listChanged(s.sr, a.key, b.key);
        ms.push(r.ms);
        blocks = bitsSet(r.json.bitmap);
        log(`cbt ${label}: list_changed_blocks ${Math.round(r.ms)} ms, ${blocks} blocks`);
      }
      return { label, ms: summary(ms), listed: blocks * BLOCK, raw: ms };
    },
    // Thin images on a throwaway cluster go with it: removing a 1 TiB image without an object
    // map visits every one of its 262144 objects.
    { extra, keepOnThrowaway: true },
  );
}

// Full backup of snapshot A of a filled disk, then `share` of its blocks rewritten, snapshot B,
// and the incremental backup from list_changed_blocks(A, B).
async function backup(size, share, n) {
  return withSr("bench cbt backup", async (s) => {
    const dir = tmpdir();
    const file = join(dir, `cbt-bench-${s.uuid}.img`);
    const scratch = join(dir, `cbt-bench-${s.uuid}.ref`);
    try {
      const v = (await callVerb("Volume.create", { sr: s.sr, name: "cbt", description: "bench", size, sharable: false })).json;
      await callVerb("Volume.enable_cbt", { sr: s.sr, key: v.key });
      await rbdFill(volumeSpec(v).spec, size, 4);
      const runs = [];
      for (let r = 0; r < n; r++) {
        const a = (await callVerb("Volume.snapshot", { sr: s.sr, key: v.key })).json;
        const full = await withExport(a, (sock, name) => nbdCopy(sock, name, file));
        const blocks = distinctBlocks(size / BLOCK, Math.round((size / BLOCK) * share), 1000 + r);
        await writeBlocks(volumeSpec(v).spec, blocks, 0x30 + r);
        const b = (await callVerb("Volume.snapshot", { sr: s.sr, key: v.key })).json;
        await callVerb("Volume.data_destroy", { sr: s.sr, key: a.key });
        const lcb = await listChanged(s.sr, a.key, b.key);
        copyFileSync(file, `${file}.inc`);
        const inc = await withExport(b, (sock, name) => nbdCopy(sock, name, `${file}.inc`, lcb.json.bitmap));
        if ((await sha256File(`${file}.inc`)) !== (await sha256Rbd(volumeSpec(b).spec, scratch)))
          throw new Error("the incremental backup differs from its snapshot");
        const changedBytes = blocks.length * BLOCK;
        runs.push({
          full: full.wall,
          lcb: lcb.ms,
          copy: inc.wall,
          inc: lcb.ms + inc.wall,
          read: inc.read,
          changed: changedBytes,
          listed: bitsSet(lcb.json.bitmap) * BLOCK,
        });
        log(
          `cbt backup: full ${Math.round(full.wall)} ms; incremental ${Math.round(lcb.ms)} + ${Math.round(inc.wall)} ms, ${inc.read} bytes read for ${changedBytes} changed`,
        );
        for (const k of [a.key, b.key]) await callVerb("Volume.destroy", { sr: s.sr, key: k });
      }
      return runs;
    } finally {
      for (const f of [file, `${file}.inc`, scratch]) rmSync(f, { force: true });
    }
  });
}

export default {
  id: "cbt",
  title: "Changed-block tracking: list_changed_blocks and incremental backups",
  async run({ quick, runs }) {
    const n = runs(3, 1);
    const big = quick ? 16 * GiB : TiB;
    const changed = quick ? 64 * MiB : GiB;
    const disk = quick ? 256 * MiB : 2 * GiB;
    const b = await backup(disk, 0.05, n);
    const fast = await listing("fast-diff", {}, big, changed, n);
    const over = await listing("fast-diff, objects overwritten", {}, big, changed, n, true);
    const slow = await listing("no object map", OLD_KERNEL, big, changed, quick ? 1 : Math.min(n, 2));
    const S = (k) => summary(b.map((r) => r[k]));
    const readRatio = summary(b.map((r) => r.read / r.changed));
    const timeRatio = summary(b.map((r) => r.inc / r.full));
    const markdown = [
      `list_changed_blocks between two snapshots of a thin ${big / GiB} GiB volume with ${changed / MiB} MiB written between them (\`rbd bench\`, 4 MiB at random places into objects that did not exist at the first snapshot, whose data the list reads to narrow them; or over the disk's first ${changed / MiB} MiB, written before the first snapshot too), ${n} run(s); with fast-diff (the default features) and on an SR with \`image_features=layering,exclusive-lock\` (no object map: every object's snapshots are listed).`,
      "",
      table(
        ["images", "list_changed_blocks ms", "listed"],
        [fast, over, slow].map((x) => [x.label, fmtSummary(x.ms), `${fmt(x.listed / MiB)} MiB`]),
      ),
      "",
      `Incremental backup of a ${disk / MiB} MiB disk (written whole), ${b.length} run(s): snapshot A copied whole through its rbd+nbd export (scripts/nbd-copy.mjs), 5% of its 64 KiB blocks rewritten, snapshot B, A data-destroyed, list_changed_blocks(A, B), only the listed blocks copied from B's export into a copy of A's backup; the result's SHA-256 checked against B. Times are spawn to exit; the exports' set-up (attach + activate, the same for both) is left out.`,
      "",
      table(
        ["measure", "median (min–max)"],
        [
          ["full backup ms", fmtSummary(S("full"))],
          ["incremental: list_changed_blocks ms", fmtSummary(S("lcb"))],
          ["incremental: copy ms", fmtSummary(S("copy"))],
          ["incremental / full (time)", fmtSummary(timeRatio, fmtRatio)],
          ["bytes read / bytes changed", fmtSummary(readRatio, fmtRatio)],
        ],
      ),
    ].join("\n");
    return {
      markdown,
      headline: [
        {
          what: `list_changed_blocks, ${big / GiB} GiB thin, ${changed / MiB} MiB changed, fast-diff`,
          ours: `${fmt(fast.ms?.median)} ms`,
          theirs: "goal ≤ 1000 ms",
        },
        { what: "the same, the changed objects existing at the first snapshot", ours: `${fmt(over.ms?.median)} ms`, theirs: "goal ≤ 1000 ms" },
        { what: "the same without an object map", ours: `${fmt(slow.ms?.median)} ms`, theirs: "measured" },
        { what: "incremental backup bytes read / changed", ours: fmtRatio(readRatio?.median), theirs: "goal ≤ 1.1×" },
        { what: "incremental / full backup time, 5% changed", ours: fmtRatio(timeRatio?.median), theirs: "goal ≤ 0.1×" },
      ],
      data: { fast, over, slow, backup: b },
    };
  },
};
