// Cases on free text (legal, so only beside an invalid field, or over its cap) and on sizes.
import { P, RANGE, NOVOL, NOSR, type Expect } from "./types.js";
import { withRaw, textCap, overCap, oneOver } from "./values.js";
import type { VerbGen } from "./gen.js";

export function textSizeCases(g: VerbGen): void {
  const { verb, fields, add, base, dbgMix, json, rng, full, ctx, H, unknownSr } = g;
  // --- free text: legal, so only beside an invalid field
  for (const [f, kind] of Object.entries(fields)) {
    if (kind !== "text") continue;
    for (const t of rng.take(`text ${verb}.${f}`, H, 1, full)) {
      const p = { ...base(), [f]: t };
      const over = overCap(f, t);
      if ("key" in fields) add("odd text, unknown key", json({ ...p, key: rng.uuid() }), over ? P : NOVOL);
      else if (verb === "Volume.create") add("odd text, bad size", withRaw(p, "size", "-1"), over ? P : RANGE);
      else if ("sr" in fields) add("odd text, unknown SR", json({ ...p, sr: unknownSr() }), over ? P : NOSR);
      else if (verb === "SR.create") add("odd text, bad uuid", json({ ...p, uuid: "not-a-uuid" }), P);
    }
    if (verb === "Volume.create") {
      const t = rng.pick(H);
      add("odd text, unknown SR", json({ ...base(), [f]: t, sr: unknownSr() }), overCap(f, t) ? P : NOSR);
    }
    // Over its cap by one byte, everything else valid: refused before anything is stored.
    add("text over its cap", json({ ...base(), [f]: oneOver(textCap(f)) }), P);
  }

  // --- sizes
  for (const [f, kind] of Object.entries(fields)) {
    if (kind !== "size") continue;
    const sizes: [string, Expect][] = [
      ["-1", RANGE],
      ["1.5", P],
      ["9007199254740992", RANGE],
      ["1e300", RANGE],
      ['"10"', P],
    ];
    const more: [string, Expect][] = [
      ["-4194304", RANGE],
      ["-9007199254740992", RANGE],
      [String(2 ** 49 + 1), RANGE],
      ["9223372036854775807", RANGE],
      ["18446744073709551616", RANGE],
      ["0.5", P],
      ["-1.5", P],
      ["4194304.5", P],
      ["1e-300", P],
      ['"1e3"', P],
      ['"0x10"', P],
      ['"4M"', P],
      ["-1e300", RANGE],
    ];
    for (const [raw, expect] of full ? [...sizes, ...more] : [...sizes, ...rng.take("more sizes", more, 2, false)]) {
      add("bad size", withRaw(dbgMix(base()), f, raw), expect);
    }
    if (verb === "Volume.resize") {
      add("bad size", json({ ...base(), new_size: 0 }), ["VDI Invalid size"]);
      add("bad size", json({ ...base(), new_size: ctx.sizeA - 1 }), ["VDI Invalid size"]);
      add("resize a snapshot", json({ ...base(), key: ctx.snapA }), ["Invalid_request"]);
    }
  }
}
