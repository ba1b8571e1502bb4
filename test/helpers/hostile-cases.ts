// Generated bad input for every volume verb: each case is one stdin that the verb must refuse
// with a well-formed error object, changing nothing. Deterministic: everything random comes
// from a seeded PRNG, so a failing case names the same stdin on every run (apart from the SR's
// own identity, which makeSr draws afresh).
//
// Rule for every generator below: a case is invalid on its own. Free text (names, descriptions,
// values of keys, dbg) is legal whatever it holds up to its cap in UTF-8 bytes, so hostile text
// only rides along with an otherwise invalid field (an unknown key or SR, a bad size, a bad
// uuid), and text over its cap is a case of its own.

import { hostileStrings } from "./hostile/values.js";
import { Rng } from "./hostile/rng.js";
import { VERB_FIELDS } from "./hostile/verbs.js";
import { verbGen } from "./hostile/gen.js";
import { jsonCases } from "./hostile/json-cases.js";
import { srCases } from "./hostile/sr-cases.js";
import { keyCases } from "./hostile/key-cases.js";
import { textSizeCases } from "./hostile/text-size-cases.js";
import { configCases } from "./hostile/config-cases.js";
import type { HostileCase, HostileContext, HostileSet } from "./hostile/types.js";

export { VERB_FIELDS } from "./hostile/verbs.js";
export type { Expect, HostileCase, HostileContext, HostileSet } from "./hostile/types.js";

// The case groups, in the order they draw from the PRNG.
const GROUPS = [jsonCases, srCases, keyCases, textSizeCases, configCases];

export function hostileCases(ctx: HostileContext): HostileSet {
  const rng = new Rng(ctx.seed);
  const H = hostileStrings(ctx);
  const cases = new Map<string, HostileCase[]>();
  const namespaces = new Set<string>();

  for (const [verb, fields] of Object.entries(VERB_FIELDS)) {
    const out: HostileCase[] = [];
    const g = verbGen(ctx, rng, H, verb, fields, out);
    for (const group of GROUPS) group(g);
    cases.set(verb, out);
  }
  // Every namespace an SR.create case names, by default or explicitly.
  for (const c of cases.get("SR.create") ?? []) {
    try {
      const p = JSON.parse(c.stdin) as { uuid?: unknown; configuration?: { namespace?: unknown } };
      if (typeof p.uuid === "string") namespaces.add(`sr-${p.uuid}`);
      if (typeof p.configuration?.namespace === "string") namespaces.add(p.configuration.namespace);
    } catch {
      // not JSON: creates nothing
    }
  }
  return { cases, namespaces };
}

export const shortCase = (c: HostileCase): string => {
  const s = c.stdin.length > 300 ? `${c.stdin.slice(0, 300)}…` : c.stdin;
  return `${c.verb} <<< ${JSON.stringify(s)}`;
};
