// Cases on the volume key fields (key, the snapshot of Volume.revert) and the k of Volume.set and
// Volume.unset.
import { P, NOVOL, NOSR } from "./types.js";
import { lookupKey, bytes, overCap, oneOver } from "./values.js";
import { CAPS } from "../../../plugins/wire/verbs.js";
import type { VerbGen } from "./gen.js";

export function keyCases(g: VerbGen): void {
  const { verb, fields, add, base, dbgMix, json, rng, full, ctx, H, unknownSr } = g;
  // --- the key fields (key, and the snapshot of Volume.revert), on the existing SR
  // Volume.destroy of a key the SR does not hold succeeds (changing nothing): no refusal to test.
  const unknownKeyOk = verb === "Volume.destroy";
  for (const [f, kind] of Object.entries(fields)) {
    if (kind !== "key") continue;
    const n = full ? 3 : 1;
    if (!unknownKeyOk) for (let i = 0; i < n; i++) add("unknown key", json(dbgMix({ ...base(), [f]: rng.uuid() })), NOVOL);
    const odd = [
      ...H,
      "not-a-key",
      "sr:config",
      `vol:${ctx.volA}`,
      ctx.volA.toUpperCase(),
      `${ctx.volA} `,
      ` ${ctx.volA}`,
      `${ctx.volA}\n`,
      ctx.volA.slice(0, -1),
      `${ctx.volA}:x`,
      `${ctx.snapA}/`,
      `${ctx.volA}\u0000`,
      "k".repeat(257),
    ];
    for (const k of rng.take("odd keys", odd, 2, full))
      if (!(unknownKeyOk && lookupKey(k))) add("odd key", json(dbgMix({ ...base(), [f]: k })), lookupKey(k) ? NOVOL : P);
    if (full)
      for (let i = 0; i < 4; i++) {
        const k = rng.nasty();
        if (!(unknownKeyOk && lookupKey(k))) add("odd key", json({ ...base(), [f]: k }), lookupKey(k) ? NOVOL : P);
      }
    // Unknown key in an unknown SR: the SR is what is missing.
    if (full || rng.chance(0.4)) add("unknown SR", json({ ...base(), sr: unknownSr(), [f]: rng.uuid() }), NOSR);
  }
  if (verb === "Volume.revert") {
    add("revert to a non-snapshot", json({ ...base(), snapshot: ctx.volB }), ["Invalid_request"]);
    add("revert to another volume's snapshot", json({ ...base(), key: ctx.volB }), ["Invalid_request"]);
    add("revert a snapshot", json({ ...base(), key: ctx.snapA }), ["Invalid_request"]);
  }

  // --- the k field of Volume.set / Volume.unset
  if ("k" in fields) {
    const invalid = ["", "\u0000", `a\u0000b`, "k".repeat(4097), "A".repeat(65536)];
    for (const k of rng.take("invalid k", invalid, 2, full)) add("invalid k", json({ ...base(), k }), P);
    // Over its cap by one byte, everything else valid: refused before anything is stored.
    if (verb === "Volume.set") add("k over its cap", json({ ...base(), k: oneOver(CAPS.k) }), P);
    for (const k of rng.take(`odd k ${verb}`, H, 2, full)) {
      const p = { ...base(), key: rng.uuid(), k, ...(verb === "Volume.set" ? { v: rng.pick(H) } : {}) };
      const tooLong = verb === "Volume.set" ? bytes(k) > CAPS.k || overCap("v", String(p.v)) : k.length > 4096;
      add("odd k, unknown key", json(p), k === "" || k.includes("\u0000") || tooLong ? P : NOVOL);
    }
  }
}
