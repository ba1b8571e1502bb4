// Bad input gets a clear error and changes nothing.
//
// Every volume verb is fed generated bad stdin (test/helpers/hostile-cases.ts): malformed and
// truncated JSON, non-objects, missing, extra and mistyped fields, impossible sizes, shell
// metacharacters, options, paths, control characters and unicode in every field that names
// something, unknown SRs and keys, broken device-configs. Each must exit non-zero with exactly
// one well-formed error object of the expected kind on stdout. Afterwards the SR (SR.ls, its
// omap, its RBD images), the pools and the host must be exactly as they were.
//
// HOSTILE_FULL=1 runs four times as many variants; HOSTILE_SEED=<n> changes the seed.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostileCases, shortCase, VERB_FIELDS, type HostileCase, type HostileSet } from "../helpers/hostile-cases.js";
import { call, fail, VOLUME_DIR } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const FULL = process.env.HOSTILE_FULL === "1";
const SEED = Number(process.env.HOSTILE_SEED ?? 0x5eed) >>> 0;
const CONCURRENCY = 4;
const MiB = 2 ** 20;

const CANARY_NAME = `hostile-canary-${SEED.toString(16)}`;
const CANARY = `/tmp/${CANARY_NAME}`;
// Where a payload run by a shell would leave it: the absolute path, or the working directory
// of the verb (xapi-storage-script runs it in /) or of this test.
const CANARY_PLACES = [CANARY, join("/", CANARY_NAME), join(process.cwd(), CANARY_NAME)];

const cli = (tool: string, args: string[]): Buffer => execFileSync(tool, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });

interface State {
  ls: string;
  omap: Buffer;
  rbd: Buffer;
}

// Object keys sorted at every level, volumes sorted by key: equal JSON means equal SR.ls.
const canonical = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
};

const lineDiff = (before: string, after: string, max = 40): string => {
  const b = before.split("\n");
  const a = after.split("\n");
  const bs = new Set(b);
  const as = new Set(a);
  const out = [...b.filter((l) => !as.has(l)).map((l) => `- ${l}`), ...a.filter((l) => !bs.has(l)).map((l) => `+ ${l}`)];
  return out.length > max ? [...out.slice(0, max), `  ... ${out.length - max} more lines`].join("\n") : out.join("\n");
};

async function inPool<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

// What is wrong with the verb's answer to this case, or undefined when it is a clean error.
async function verdict(c: HostileCase): Promise<string | undefined> {
  let e;
  try {
    e = await fail(c.verb, c.stdin);
  } catch (err) {
    return (err as Error).message.slice(0, 400);
  }
  const keys = Object.keys(e).sort().join(",");
  if (keys !== "backtrace,code,params") return `error object has keys ${keys}`;
  if (e.code.length === 0) return "empty error code";
  if (!e.params.every((p) => typeof p === "string")) return `params are not all strings: ${JSON.stringify(e.params).slice(0, 300)}`;
  const bt = e.backtrace;
  if (Object.keys(bt).sort().join(",") !== "error,files,lines") return `backtrace has keys ${Object.keys(bt).join(",")}`;
  if (!bt.files.every((f) => typeof f === "string")) return "backtrace.files are not all strings";
  if (!bt.lines.every((l) => Number.isInteger(l))) return `backtrace.lines are not all integers: ${JSON.stringify(bt.lines)}`;
  const kind = e.params[0] ?? e.code;
  const got = `${e.code} ${JSON.stringify(e.params).slice(0, 300)}`;
  if (kind === "Internal_error") return `Internal_error (a plugin bug, not a clean refusal): ${got}`;
  if (c.expect !== "any" && !c.expect.includes(kind)) return `expected ${c.expect.join(" or ")}, got ${got}`;
  return undefined;
}

describe("bad input gets a clear error and changes nothing", () => {
  let t: TestSr;
  let scratchPool: string;
  let before: State;
  let namespacesBefore: Set<string>;
  let scratchBefore: string;
  let set: HostileSet;
  let tried = 0;
  let clean = 0;

  const namespacesOf = (pool: string): string[] =>
    (JSON.parse(cli("rbd", ["--conf", t.conf, "namespace", "ls", "--format", "json", pool]).toString()) as { name: string }[]).map((n) => n.name).sort();
  const objectsOf = (pool: string): string =>
    cli("rados", ["--conf", t.conf, "--pool", pool, "--all", "ls"]).toString().split("\n").filter(Boolean).sort().join("\n");

  const snapshot = async (): Promise<State> => {
    const ls = await call<WireVolume[]>("SR.ls", { sr: t.sr });
    return {
      ls: JSON.stringify(canonical([...ls].sort((a, b) => (a.key < b.key ? -1 : 1)))),
      omap: cli("rados", ["--conf", t.conf, "--pool", t.pool, "--namespace", t.namespace, "listomapvals", "ceph_rbd_sr"]),
      rbd: cli("rbd", ["--conf", t.conf, "ls", "--long", "--format", "json", `${t.pool}/${t.namespace}`]),
    };
  };

  beforeAll(async () => {
    t = await makeSr();
    const a = await call<WireVolume>("Volume.create", { sr: t.sr, name: "hostile A", description: "has a snapshot and a key", size: 8 * MiB, sharable: false });
    const s = await call<WireVolume>("Volume.snapshot", { sr: t.sr, key: a.key });
    const b = await call<WireVolume>("Volume.create", { sr: t.sr, name: "hostile B", description: "plain", size: 4 * MiB, sharable: true });
    await call("Volume.set", { sr: t.sr, key: a.key, k: "xapi-key", v: "value" });

    // SR.create cases that could create something do it in a pool of their own, which nobody
    // else lists (a stray namespace in the shared pool would trip other suites' SR.probe).
    scratchPool = `hostile-scratch-${process.pid}`;
    cli("ceph", ["--conf", t.conf, "osd", "pool", "create", scratchPool, "1", "1"]);
    cli("rbd", ["--conf", t.conf, "pool", "init", scratchPool]);

    for (const p of CANARY_PLACES) rmSync(p, { force: true });
    before = await snapshot();
    namespacesBefore = new Set(namespacesOf(t.pool));
    scratchBefore = objectsOf(scratchPool);
    set = hostileCases({
      sr: t.sr,
      pool: t.pool,
      conf: t.conf,
      namespace: t.namespace,
      config: t.config,
      volA: a.key,
      snapA: s.key,
      volB: b.key,
      keyA: "xapi-key",
      sizeA: a.virtual_size,
      scratchPool,
      canary: CANARY,
      canaryName: CANARY_NAME,
      seed: SEED,
      full: FULL,
    });
  });

  afterAll(() => {
    if (!scratchPool || !t) return;
    try {
      cli("ceph", ["--conf", t.conf, "osd", "pool", "rm", scratchPool, scratchPool, "--yes-i-really-really-mean-it"]);
    } catch (e) {
      console.warn(`could not remove pool ${scratchPool}: ${(e as Error).message}`);
    }
  });

  it("has cases for every verb of the plugin", () => {
    const installed = readdirSync(VOLUME_DIR)
      .filter((f) => /^(Plugin|SR|Volume)\./.test(f))
      .sort();
    expect(Object.keys(VERB_FIELDS).sort()).toEqual(installed);
  });

  for (const verb of Object.keys(VERB_FIELDS)) {
    it(verb, { timeout: FULL ? 900_000 : 120_000 }, async () => {
      const cases = set.cases.get(verb) ?? [];
      expect(cases.length).toBeGreaterThan(0);
      const failures: [number, string][] = [];
      await inPool(cases, CONCURRENCY, async (c, i) => {
        tried++;
        const why = await verdict(c);
        if (why === undefined) clean++;
        else failures.push([i, `${shortCase(c)}\n      [${c.cls}] ${why}`]);
      });
      if (failures.length > 0) {
        const shown = failures
          .sort(([a], [b]) => a - b)
          .slice(0, 20)
          .map(([, f]) => `  - ${f}`);
        const more = failures.length > 20 ? [`  ... and ${failures.length - 20} more`] : [];
        throw new Error([`${failures.length} of ${cases.length} bad inputs to ${verb} were not refused cleanly:`, ...shown, ...more].join("\n"));
      }
    });
  }

  it("changed nothing: SR.ls, the SR's omap and images, the pools, the host", async () => {
    const after = await snapshot();
    const changes: string[] = [];
    if (after.ls !== before.ls) changes.push(`SR.ls changed:\n${lineDiff(before.ls.replaceAll("},{", "},\n{"), after.ls.replaceAll("},{", "},\n{"))}`);
    if (!after.omap.equals(before.omap)) changes.push(`the SR's omap changed:\n${lineDiff(before.omap.toString("latin1"), after.omap.toString("latin1"))}`);
    if (!after.rbd.equals(before.rbd)) changes.push(`rbd ls --long changed:\n- ${before.rbd.toString()}\n+ ${after.rbd.toString()}`);
    const created = namespacesOf(t.pool).filter((n) => !namespacesBefore.has(n) && set.namespaces.has(n));
    if (created.length > 0) changes.push(`SR.create cases left namespaces in pool ${t.pool}: ${JSON.stringify(created)}`);
    const scratchNamespaces = namespacesOf(scratchPool);
    if (scratchNamespaces.length > 0) changes.push(`SR.create cases left namespaces in pool ${scratchPool}: ${JSON.stringify(scratchNamespaces)}`);
    const scratchAfter = objectsOf(scratchPool);
    if (scratchAfter !== scratchBefore) changes.push(`SR.create cases left objects in pool ${scratchPool}:\n${lineDiff(scratchBefore, scratchAfter)}`);
    const canaries = CANARY_PLACES.filter((p) => existsSync(p));
    if (canaries.length > 0) changes.push(`a shell ran a payload: ${canaries.join(", ")} exists`);
    console.log(`hostile input: ${tried} inputs tried, ${clean} clean errors, ${changes.length} changes`);
    if (changes.length > 0) throw new Error(changes.join("\n\n"));
  });
});
