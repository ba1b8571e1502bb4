// What a case group (json-cases.ts, sr-cases.ts, …) works with for one verb: its fields, the
// shared PRNG, the hostile strings, and `add` to record a case. Every group draws from the one
// PRNG in a fixed order, so the cases stay the same run after run.
import type { Rng } from "./rng.js";
import type { Expect, HostileCase, HostileContext, Params } from "./types.js";
import { baseParams, type Kind } from "./verbs.js";

export interface VerbGen {
  readonly verb: string;
  readonly fields: Readonly<Record<string, Kind>>;
  readonly ctx: HostileContext;
  readonly rng: Rng;
  readonly full: boolean;
  readonly H: readonly string[];
  readonly add: (cls: string, stdin: string, expect: Expect) => void;
  readonly base: () => Params;
  // Hostile text in dbg now and then: legal, so it only ever rides along.
  readonly dbgMix: (p: Params) => Params;
  readonly json: (p: Params) => string;
  readonly srUrl: (pool: string, ns: string, query: Record<string, string>) => string;
  readonly unknownSr: () => string;
  // The query of a well-formed SR URL on the test cluster.
  readonly q: Record<string, string>;
}

export function verbGen(
  ctx: HostileContext,
  rng: Rng,
  H: readonly string[],
  verb: string,
  fields: Readonly<Record<string, Kind>>,
  out: HostileCase[],
): VerbGen {
  const srUrl = (pool: string, ns: string, query: Record<string, string>) =>
    `ceph-rbd://${encodeURIComponent(pool)}/${encodeURIComponent(ns)}?${new URLSearchParams(query).toString()}`;
  return {
    verb,
    fields,
    ctx,
    rng,
    full: ctx.full,
    H,
    add: (cls, stdin, expect) => out.push({ verb, stdin, expect, cls }),
    base: () => baseParams(verb, ctx, rng),
    dbgMix: (p) => (rng.chance(0.3) ? { ...p, dbg: rng.pick(H) } : p),
    json: (p) => JSON.stringify(p),
    srUrl,
    unknownSr: () => srUrl(ctx.pool, `sr-${rng.uuid()}`, { conf: ctx.conf, user: "admin" }),
    q: { conf: ctx.conf, user: "admin" },
  };
}
