// Generated bad input for every volume verb: each case is one stdin that the verb must refuse
// with a well-formed error object, changing nothing. Deterministic: everything random comes
// from a seeded PRNG, so a failing case names the same stdin on every run (apart from the SR's
// own identity, which makeSr draws afresh).
//
// Rule for every generator below: a case is invalid on its own. Free text (names, descriptions,
// values of keys, dbg) is legal whatever it holds up to its cap in UTF-8 bytes, so hostile text
// only rides along with an otherwise invalid field (an unknown key or SR, a bad size, a bad
// uuid), and text over its cap is a case of its own.

import { CAPS } from "../../plugins/wire/verbs.js";

export type Expect = readonly string[] | "any";

export interface HostileCase {
  readonly verb: string;
  readonly stdin: string;
  // Allowed values of params[0] ("any": any clean error, still never Internal_error).
  readonly expect: Expect;
  // The class the case belongs to, for the per-verb report.
  readonly cls: string;
}

export interface HostileContext {
  sr: string;
  pool: string;
  conf: string;
  namespace: string;
  // What SR.create returned for the test SR (a valid SR.attach configuration).
  config: Record<string, string>;
  // A writable volume with a snapshot and a key, the snapshot, a second writable volume.
  volA: string;
  snapA: string;
  volB: string;
  // The key set on volA.
  keyA: string;
  sizeA: number;
  // An empty pool of our own: SR.create cases that could create a namespace aim here.
  scratchPool: string;
  // A file that only a shell running one of our payloads would create.
  canary: string;
  canaryName: string;
  seed: number;
  full: boolean;
}

export interface HostileSet {
  readonly cases: ReadonlyMap<string, HostileCase[]>;
  // Names an SR.create or SR.attach case could have turned into an RBD namespace of a real pool.
  readonly namespaces: ReadonlySet<string>;
}

export const P = ["Invalid_parameters"] as const;
export const RANGE = ["Invalid_parameters", "Invalid_request"] as const;
export const NOVOL = ["Volume_does_not_exist"] as const;
export const NOSR = ["SR_does_not_exist"] as const;
export const NOSR_OR_P = ["SR_does_not_exist", "Invalid_parameters"] as const;

// ---------------------------------------------------------------- PRNG

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  // Per-class cursors: in the default run each class takes a few values per verb, and the
  // cursor carries on across verbs so that every value of the class is used by some verb.
  private readonly cursors = new Map<string, number>();
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.int(16)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${"89ab"[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }
  // n values of xs (four times as many in the full run), round robin per class.
  take<T>(cls: string, xs: readonly T[], n: number, full: boolean): T[] {
    if (full) n *= 4;
    if (n >= xs.length) return [...xs];
    const at = this.cursors.get(cls) ?? 0;
    this.cursors.set(cls, at + n);
    return Array.from({ length: n }, (_, i) => xs[(at + i) % xs.length] as T);
  }
  // A short string from characters that break naive code: shell, quoting, control, unicode.
  nasty(): string {
    const alphabet = [
      ..."$`;|&<>(){}[]*?!~#'\"\\/.-= \t\n\r",
      "\u0000",
      "\u0001",
      "\u001b",
      "\u007f",
      "é",
      "ß",
      "日",
      "🔥",
      "\u202e",
      "\u200b",
      "\u2028",
      "\ufeff",
      "\ud800",
      "a",
      "Z",
      "0",
    ];
    const n = 1 + this.int(40);
    let s = "";
    for (let i = 0; i < n; i++) s += this.pick(alphabet);
    return s;
  }
}

// ---------------------------------------------------------------- the verbs

type Kind = "dbg" | "sr" | "key" | "k" | "text" | "size" | "bool" | "map" | "uuid";

// Every verb of the volume plugin and its params (plugins/wire/verbs.ts), by kind of field.
export const VERB_FIELDS: Readonly<Record<string, Readonly<Record<string, Kind>>>> = {
  "Plugin.Query": { dbg: "dbg" },
  "Plugin.diagnostics": { dbg: "dbg" },
  "SR.probe": { dbg: "dbg", configuration: "map" },
  "SR.create": { dbg: "dbg", uuid: "uuid", configuration: "map", name: "text", description: "text" },
  "SR.attach": { dbg: "dbg", configuration: "map" },
  "SR.detach": { dbg: "dbg", sr: "sr" },
  "SR.destroy": { dbg: "dbg", sr: "sr" },
  "SR.stat": { dbg: "dbg", sr: "sr" },
  "SR.ls": { dbg: "dbg", sr: "sr" },
  "SR.set_name": { dbg: "dbg", sr: "sr", new_name: "text" },
  "SR.set_description": { dbg: "dbg", sr: "sr", new_description: "text" },
  "Volume.create": { dbg: "dbg", sr: "sr", name: "text", description: "text", size: "size", sharable: "bool" },
  "Volume.stat": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.set": { dbg: "dbg", sr: "sr", key: "key", k: "k", v: "text" },
  "Volume.unset": { dbg: "dbg", sr: "sr", key: "key", k: "k" },
  "Volume.set_name": { dbg: "dbg", sr: "sr", key: "key", new_name: "text" },
  "Volume.set_description": { dbg: "dbg", sr: "sr", key: "key", new_description: "text" },
  "Volume.resize": { dbg: "dbg", sr: "sr", key: "key", new_size: "size" },
  "Volume.snapshot": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.clone": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.destroy": { dbg: "dbg", sr: "sr", key: "key" },
  "Volume.revert": { dbg: "dbg", sr: "sr", snapshot: "key", key: "key" },
};

type Params = Record<string, unknown>;

// Params that would succeed (and, for most verbs, change something): each case breaks one thing.
function baseParams(verb: string, ctx: HostileContext, rng: Rng): Params {
  const dbg = `hostile-${verb}`;
  const { sr, volA, volB } = ctx;
  switch (verb) {
    case "Plugin.Query":
    case "Plugin.diagnostics":
      return { dbg };
    case "SR.probe":
      return { dbg, configuration: { pool: ctx.pool, conf: ctx.conf } };
    case "SR.create":
      return { dbg, uuid: rng.uuid(), configuration: { pool: ctx.scratchPool, conf: ctx.conf }, name: "hostile", description: "hostile" };
    case "SR.attach":
      return { dbg, configuration: { ...ctx.config } };
    case "SR.detach":
    case "SR.destroy":
    case "SR.stat":
    case "SR.ls":
      return { dbg, sr };
    case "SR.set_name":
      return { dbg, sr, new_name: "renamed" };
    case "SR.set_description":
      return { dbg, sr, new_description: "redescribed" };
    case "Volume.create":
      return { dbg, sr, name: "hostile", description: "hostile", size: 4 * 2 ** 20, sharable: false };
    case "Volume.set":
      return { dbg, sr, key: volA, k: "hostile-k", v: "v" };
    case "Volume.unset":
      return { dbg, sr, key: volA, k: ctx.keyA };
    case "Volume.set_name":
      return { dbg, sr, key: volA, new_name: "renamed" };
    case "Volume.set_description":
      return { dbg, sr, key: volA, new_description: "redescribed" };
    case "Volume.resize":
      return { dbg, sr, key: volA, new_size: ctx.sizeA + 4 * 2 ** 20 };
    case "Volume.destroy":
      return { dbg, sr, key: volB };
    case "Volume.revert":
      return { dbg, sr, snapshot: ctx.snapA, key: volA };
    case "Volume.stat":
    case "Volume.snapshot":
    case "Volume.clone":
      return { dbg, sr, key: volA };
    default:
      throw new Error(`no base params for ${verb}`);
  }
}

// ---------------------------------------------------------------- hostile values

const RAW = "__hostile_raw_value__";

// JSON of params with one field's value replaced by raw JSON text (numbers JSON.stringify
// cannot write, such as 1e300 or 2^63 exactly as a client would send them).
const withRaw = (p: Params, field: string, raw: string): string => JSON.stringify({ ...p, [field]: RAW }).replace(`"${RAW}"`, raw);

// A key added at the end of the object, written raw (so "__proto__" stays an own key).
const withExtra = (p: Params, key: string, raw: string): string => {
  const s = JSON.stringify(p);
  return `${s.slice(0, -1)}${s.length > 2 ? "," : ""}${JSON.stringify(key)}:${raw}}`;
};

const without = (p: Params, field: string): Params => {
  const { [field]: _gone, ...rest } = p;
  return rest;
};

function hostileStrings(ctx: HostileContext): string[] {
  const c = ctx.canary;
  return [
    // shell and quoting
    `$(touch ${c})`,
    `\`touch ${c}\``,
    `; touch ${c}`,
    `| touch ${c}`,
    `&& touch ${c}`,
    `x\ntouch ${c}`,
    // no space and no slash, so it is a legal Ceph name: only a shell would run it
    `$(touch\${IFS}${ctx.canaryName})`,
    "`id`",
    "$(id)",
    "a;b",
    "a|b",
    "'\"\\",
    "${PATH}",
    "*",
    // command-line options
    "--help",
    "-N",
    `--pool=${ctx.pool}`,
    "--",
    // paths
    "../../etc/passwd",
    "/dev/null",
    "/etc/passwd",
    ".",
    "..",
    "~",
    // control characters
    "\u0000",
    "a\u0000b",
    "\n",
    "\r\n",
    "\t",
    "\u0007\u001b[2J",
    "\u007f",
    // unicode
    "ünïcödé",
    "日本語",
    "🔥💾",
    "\u202eevil",
    "\ufeffbom",
    "\u2028\u2029",
    "a\u200bb",
    "\ud800x",
    // size
    "A".repeat(65536),
    "é".repeat(300),
    "",
  ];
}

const isOptionLike = (s: string) => s.startsWith("-");
const encodable = (s: string) => {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};
const hasControl = (s: string) => /[\u0000-\u001f\u007f]/.test(s);

// Certainly not a Ceph pool or namespace name, whatever else the plugin allows.
const badName = (s: string) => s === "" || s.length > 4096 || /[/@\s]/.test(s) || hasControl(s);
// Certainly not an absolute path that is one argument.
const badPath = (s: string) => !s.startsWith("/") || hasControl(s) || /\s/.test(s);
// Certainly not a cephx id.
const badUser = (s: string) => !/^(client\.)?[A-Za-z0-9_.-]+$/.test(s) || s.length > 4096;
// Certainly not a ','-separated list of monitor addresses (and nothing that would make a client
// hunt for one).
const badMonhost = (s: string) => !/^[A-Za-z0-9.:,[\]/-]+$/.test(s) || s.length > 4096 || s.split(",").some((a) => a === "" || a.startsWith("-"));
// A volume key the key schema accepts, so it must be looked up and not found.
const lookupKey = (s: string) => s.length > 0 && s.length <= 256 && !s.includes("\u0000");
// Free text over the cap of the field that stores it (name, description, a key's value).
const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const textCap = (field: string): number => (field === "v" ? CAPS.v : field.endsWith("description") ? CAPS.description : CAPS.name);
const overCap = (field: string, s: string) => bytes(s) > textCap(field);
// One byte over a cap, in two-byte characters: fewer characters than bytes.
const oneOver = (cap: number) => "é".repeat(Math.floor((cap + 1) / 2)) + "a".repeat((cap + 1) % 2);

// ---------------------------------------------------------------- generation

export function hostileCases(ctx: HostileContext): HostileSet {
  const rng = new Rng(ctx.seed);
  const full = ctx.full;
  const H = hostileStrings(ctx);
  const cases = new Map<string, HostileCase[]>();
  const namespaces = new Set<string>();

  const srUrl = (pool: string, ns: string, query: Record<string, string>) =>
    `ceph-rbd://${encodeURIComponent(pool)}/${encodeURIComponent(ns)}?${new URLSearchParams(query).toString()}`;
  const unknownSr = () => srUrl(ctx.pool, `sr-${rng.uuid()}`, { conf: ctx.conf, user: "admin" });
  const q = { conf: ctx.conf, user: "admin" };

  for (const [verb, fields] of Object.entries(VERB_FIELDS)) {
    const out: HostileCase[] = [];
    const add = (cls: string, stdin: string, expect: Expect) => out.push({ verb, stdin, expect, cls });
    const base = () => baseParams(verb, ctx, rng);
    // Hostile text in dbg now and then: legal, so it only ever rides along.
    const dbgMix = (p: Params): Params => (rng.chance(0.3) ? { ...p, dbg: rng.pick(H) } : p);
    const json = (p: Params) => JSON.stringify(p);

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
        bool: ["true", null, {}, [], 1, 0, "false"],
        map: ["x", 42, null, [], true, [["pool", ctx.pool]], JSON.stringify(ctx.config)],
      };
      const all = wrong[kind];
      const pickN = kind === "dbg" || kind === "text" ? 1 : kind === "size" ? 4 : 2;
      for (const v of rng.take(`wrong type ${kind}`, all, pickN, full)) add("wrong type", json({ ...(f === "dbg" ? base() : dbgMix(base())), [f]: v }), P);
    }

    // --- the sr field
    if ("sr" in fields) {
      const idempotent = verb === "SR.detach";
      if (!idempotent) {
        const n = full ? 3 : 1;
        for (let i = 0; i < n; i++) add("unknown SR", json(dbgMix({ ...base(), sr: unknownSr() })), NOSR);
        if (full || rng.chance(0.5)) add("unknown SR", json({ ...base(), sr: srUrl(`nopool-${rng.hex(8)}`, `sr-${rng.uuid()}`, q) }), NOSR);
      }
      const m = /^ceph-rbd:\/\/([^/?]+)\/([^/?]+)\?(.*)$/.exec(ctx.sr);
      const [ourPool, ourNs] = [decodeURIComponent(m?.[1] ?? ""), decodeURIComponent(m?.[2] ?? "")];
      // Malformed, or naming what cannot be a cluster: Invalid_parameters, even for SR.detach.
      const garbage = [
        "garbage",
        "ceph-rbd://",
        "ceph-rbd:///?",
        "file:///srv/sr",
        `ceph-rbd://${ourPool}`,
        `ceph-rbd://${ourPool}/${ourNs}`,
        `ceph-rbd://${ourPool}/${ourNs}/extra?conf=${encodeURIComponent(ctx.conf)}&user=admin`,
        ctx.sr.toUpperCase(),
        `${ctx.sr}\n`,
        ` ${ctx.sr}`,
        `${ctx.sr}\u0000`,
        srUrl(ourPool, ourNs, { conf: "etc/ceph/ceph.conf", user: "admin" }),
        srUrl(ourPool, ourNs, { conf: ctx.conf, user: `$(touch ${ctx.canary})` }),
        srUrl(ourPool, ourNs, { conf: ctx.conf, user: "" }),
        srUrl(ourPool, ourNs, { conf: ctx.conf, user: "admin", datapath: "bogus" }),
        srUrl(ourPool, ourNs, { conf: ctx.conf, user: "admin", keyring: "../../etc/passwd" }),
        srUrl(ourPool, ourNs, { conf: ctx.conf, user: "admin", monhost: "a;b" }),
        srUrl(ourPool, ourNs, { conf: `${ctx.conf}\n`, user: "admin" }),
        `ceph-rbd://${ourPool}/%zz?conf=${encodeURIComponent(ctx.conf)}&user=admin`,
        srUrl(`${ourPool}/x`, ourNs, q),
        srUrl(ourPool, "../../etc/passwd", q),
        srUrl(ourPool, `$(touch ${ctx.canary})`, q),
        srUrl(ourPool, "a\nb", q),
        ...H.filter((h) => !h.startsWith("ceph-rbd://")),
      ];
      for (const g of rng.take("garbage SR", garbage, 2, full)) add("garbage SR", json(dbgMix({ ...base(), sr: g })), P);
      if (full) for (let i = 0; i < 4; i++) add("garbage SR", json({ ...base(), sr: `x${rng.nasty()}` }), P);
      if (!idempotent) {
        // Well-formed, with names a shell or a command line would misread: no such SR.
        const odd = H.filter((h) => !badName(h) && h.length <= 128 && encodable(h));
        for (const name of rng.take("odd SR names", odd, 1, full)) {
          add("odd SR names", json(dbgMix({ ...base(), sr: srUrl(ourPool, name, q) })), NOSR_OR_P);
          if (full || rng.chance(0.3)) add("odd SR names", json({ ...base(), sr: srUrl(name, ourNs, q) }), NOSR_OR_P);
        }
        // Well-formed, pointing the Ceph tools at no cluster at all: some clean error.
        const broken: Record<string, string>[] = [
          { conf: "/dev/null", user: "admin" },
          { conf: "/etc/passwd", user: "admin" },
          { conf: `/tmp/$(touch ${ctx.canary})`, user: "admin" },
          { conf: "/nonexistent/ceph.conf", user: "admin" },
          { conf: ctx.conf, user: "admin", keyring: "/dev/null" },
          { conf: ctx.conf, user: "nobody" },
        ];
        // Not for SR.stat: an unreachable cluster is a health state there (["Unreachable", ...]).
        if (verb !== "SR.stat") {
          for (const b of rng.take("broken cluster", broken, 1, full)) add("unreachable cluster", json({ ...base(), sr: srUrl(ourPool, ourNs, b) }), "any");
        }
      }
    }

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

    // --- the uuid of SR.create
    if ("uuid" in fields) {
      const u = rng.uuid();
      const bad = [...H, "not-a-uuid", u.toUpperCase().replace(/-/g, ""), `${u}\n`, ` ${u}`, `${u}\u0000`, u.replace(/.$/, "g"), `${u}${u}`, `{${u}}`];
      for (const b of rng.take("bad uuid", bad, 4, full)) add("bad SR uuid", json(dbgMix({ ...base(), uuid: b })), P);
      // Taking over the test SR's namespace under another uuid.
      add("foreign namespace", json({ ...base(), configuration: { pool: ctx.pool, conf: ctx.conf, namespace: ctx.namespace } }), ["Invalid_request"]);
      const p = base();
      add("sr_uuid mismatch", json({ ...p, configuration: { ...(p.configuration as object), sr_uuid: rng.uuid() } }), P);
    }

    // --- configuration (SR.create, SR.attach, SR.probe)
    if ("configuration" in fields) {
      const cfg = () => ({ ...(base().configuration as Record<string, string>) });
      const withCfg = (c: Record<string, unknown>) => ({ ...base(), configuration: c });
      const unknownKeys = ["bogus", "Pool", "pool ", `$(touch ${ctx.canary})`, "", "sr-uuid", "physical_size", "../../etc/passwd", "keyring_secret"];
      for (const k of rng.take("unknown config key", unknownKeys, 3, full)) add("unknown config key", json(withCfg({ ...cfg(), [k]: "x" })), P);
      // JSON.parse makes "__proto__" an own key like any other: it is just as unknown.
      add("unknown config key", withRaw(base(), "configuration", `${JSON.stringify(cfg()).slice(0, -1)},"__proto__":"x"}`), P);
      const keys = ["pool", "conf", "user", "namespace", "keyring", "monhost", "sr_uuid", "image_features", "datapath"];
      const wrongValues: unknown[] = [42, null, true, {}, [], 1.5, ["x"]];
      for (const k of rng.take("config value type key", keys, 3, full)) {
        for (const v of rng.take("config value type", wrongValues, 1, full)) add("config value type", json(withCfg({ ...cfg(), [k]: v })), P);
      }
      if (verb !== "SR.probe") add("config missing pool", json(withCfg(without(cfg(), "pool"))), P);
      if (verb === "SR.attach") add("config missing namespace", json(withCfg(without(without(cfg(), "namespace"), "sr_uuid"))), P);
      if (verb === "SR.probe") {
        // No pool, so nothing to look at: still, unknown keys and bad values are errors.
        add("probe without pool", json(withCfg({ pol: ctx.pool, conf: ctx.conf })), P);
        add("probe without pool", json(withCfg({ conf: "../../etc/passwd", [`$(touch ${ctx.canary})`]: "x" })), P);
      }
      if (verb === "SR.attach") {
        add("foreign SR uuid", json(withCfg({ ...cfg(), sr_uuid: rng.uuid() })), ["Invalid_request"]);
        const ns = `sr-${rng.uuid()}`;
        add("unknown SR", json(withCfg({ ...cfg(), namespace: ns, sr_uuid: ns.slice(3) })), NOSR);
      }

      // Names that the Ceph tools would read as options: refused, or at least nothing found and
      // nothing created (SR.create aims at the scratch pool, where any namespace is a leak).
      const options = ["--help", "-N", `--pool=${ctx.pool}`, "--"];
      for (const k of ["pool", "namespace", "user", "monhost"]) {
        if (verb === "SR.probe" && k === "namespace") continue; // probe ignores it
        for (const v of rng.take(`options ${k}`, options, 1, full)) {
          if (k === "monhost" && v.includes("=")) continue; // not a monitor address at all: covered below
          add("option-like name", json(dbgMix(withCfg({ ...cfg(), [k]: v }))), verb === "SR.attach" && k === "namespace" ? NOSR_OR_P : "any");
        }
      }

      // Values that a Ceph tool would read as an option, or CEPH_ARGS (split on blanks) as a
      // second argument, each with the rest of a valid configuration.
      const injections: Array<[string, string]> = [
        ["keyring", "/etc/ceph/x.keyring --plugin_dir=/var/tmp/x"],
        ["keyring", "/etc/ceph/x.keyring\t-k"],
        ["conf", `${ctx.conf} --keyring=/tmp/k`],
        ["monhost", "127.0.0.1:6789 --plugin_dir=/var/tmp/x"],
        ["monhost", "127.0.0.1:6789,--plugin_dir=/var/tmp/x"],
      ];
      for (const [k, v] of injections) add("option in a config value", json(withCfg({ ...cfg(), [k]: v })), P);

      // Hostile values, key by key, with what each must give.
      const paths = ["/dev/null", "/etc/passwd", `/tmp/$(touch ${ctx.canary})`, "/nonexistent/ceph.conf", "/", `/${"a".repeat(65535)}`];
      const perKey = full ? 8 : 1;
      for (const k of keys) {
        const values = [...H, ...(k === "conf" || k === "keyring" ? paths : [])];
        const chosen = full
          ? [...rng.take(`config ${verb}.${k}`, values, perKey, false), ...Array.from({ length: 2 }, () => rng.nasty())]
          : rng.take(`config ${verb}.${k}`, values, perKey, false);
        for (const v of chosen) {
          const c: Record<string, string> = { ...cfg(), [k]: v };
          let expect: Expect;
          switch (k) {
            case "pool":
              expect = badName(v) ? P : "any";
              break;
            case "namespace":
              if (badName(v)) expect = P;
              else if (verb === "SR.probe")
                continue; // ignored by probe: legal
              else if (verb === "SR.create" && !isOptionLike(v)) {
                // A legal name would make a legal SR: only in a pool that does not exist.
                c.pool = `nopool-${rng.hex(8)}`;
                expect = "any";
              } else expect = verb === "SR.attach" ? NOSR_OR_P : "any";
              break;
            case "conf":
            case "keyring":
              expect = badPath(v) ? P : "any";
              break;
            case "user":
              expect = badUser(v) ? P : "any";
              break;
            case "monhost":
              if (!badMonhost(v) && !isOptionLike(v)) continue; // a host name to hunt for: slow, not hostile
              expect = badMonhost(v) ? P : "any";
              break;
            default: // sr_uuid, image_features, datapath: closed sets
              expect = P;
          }
          add(`config ${k}`, json(dbgMix(withCfg(c))), expect);
        }
      }
    }

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
