// Cases on the shape of the JSON: malformed, truncated, empty, not an object, a field missing,
// one too many, or of the wrong type.
import { P } from "./types.js";
import { withExtra, without } from "./values.js";
import type { Kind } from "./verbs.js";
import type { VerbGen } from "./gen.js";

export function jsonCases(g: VerbGen): void {
  const { verb, fields, add, base, dbgMix, json, rng, full, ctx } = g;
  // --- malformed and truncated JSON
  {
    const s = json(base());
    // The last byte missing, or a cut anywhere (alternately, verb by verb; all of it when full).
    const cuts = new Set<number>(rng.take("truncation", [s.length - 1, 1 + rng.int(s.length - 1)], 1, full));
    if (full) for (let i = 0; i < 6; i++) cuts.add(1 + rng.int(s.length - 1));
    for (const at of cuts) add("truncated JSON", s.slice(0, at), P);
    const malformed = [
      `${s}x`,
      `${s}${s}`,
      s.replaceAll('"', "'"),
      `${s.slice(0, -1)},}`,
      s.replace(/"([A-Za-z_]+)":/g, "$1:"),
      `/* comment */${s}`,
      `{"x":NaN,${s.slice(1)}`,
      `${s}]`,
      `{"dbg":"\\x41"}`,
      "undefined",
    ];
    for (const m of rng.take("malformed", malformed, 1, full)) add("malformed JSON", m, P);
  }
  // --- empty stdin
  add("empty stdin", "", P);
  if (full) for (const ws of [" ", "\n", "\t \r\n"]) add("empty stdin", ws, P);
  // --- JSON that is not an object
  {
    const s = json(base());
    const notObjects = ["[]", '"string"', "42", "null", "true"];
    const more = ["false", `[${s}]`, JSON.stringify(s), "-1", "1e999", '""', "[{}]"];
    for (const v of full ? [...notObjects, ...more] : rng.take("not an object", notObjects, 1, false)) add("not an object", v, P);
  }
  // --- each required field missing, and one extra field
  for (const f of Object.keys(fields)) add("missing field", json(without(base(), f)), P);
  if (full) add("missing field", "{}", P);
  {
    const extras: [string, string][] = [
      ["unexpected", '"x"'],
      ["__proto__", '{"polluted":true}'],
      ["constructor", '{"prototype":{}}'],
      [`$(touch ${ctx.canary})`, '"x"'],
      ["", '""'],
      [verb.startsWith("Volume") ? "configuration" : "key", '"x"'],
      [Object.keys(fields).at(-1)?.toUpperCase() ?? "DBG", '"x"'],
      ["dbg ", '"x"'],
    ];
    for (const [k, v] of rng.take("extra", extras, 1, full)) add("extra field", withExtra(base(), k, v), P);
  }
  // --- each field with each wrong type
  for (const [f, kind] of Object.entries(fields)) {
    const wrong: Record<Kind, unknown[]> = {
      dbg: [42, null, { a: "b" }, ["x"], true, 1.5],
      sr: [42, null, {}, [], true, [ctx.sr], { sr: ctx.sr }],
      key: [42, null, {}, [], true, [ctx.volA], 1.5],
      k: [42, null, {}, [], false],
      text: [42, null, {}, [], true],
      uuid: [42, null, {}, [], true],
      size: ["10", 1.5, null, {}, [], true, "true", [4194304], "4194304"],
      length: ["-1", 1.5, null, {}, [], true],
      bool: ["true", null, {}, [], 1, 0, "false"],
      map: ["x", 42, null, [], true, [["pool", ctx.pool]], JSON.stringify(ctx.config)],
    };
    const all = wrong[kind];
    const pickN = kind === "dbg" || kind === "text" ? 1 : kind === "size" ? 4 : 2;
    for (const v of rng.take(`wrong type ${kind}`, all, pickN, full)) add("wrong type", json({ ...(f === "dbg" ? base() : dbgMix(base())), [f]: v }), P);
  }
}
