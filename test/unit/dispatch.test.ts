// dispatch: params checked before the handler runs, results checked before anyone sees them.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../plugins/log.js";
import { dispatch, type Outcome } from "../../plugins/runtime/dispatch.js";
import { type Context, defineVerb } from "../../plugins/runtime/verb.js";
import { shrinkRefused, Volume_does_not_exist } from "../../plugins/wire/errors.js";
import { SrDetach, SrStatVerb, VolumeCreate } from "../../plugins/wire/verbs.js";

process.env.CEPH_RBD_LOG_STDERR = "off";
process.env.CEPH_RBD_LOG_SYSLOG = "off";
// The logger reads those when it is created, not when its module is loaded.
const ctx: Context = { dbg: "unit", log: createLogger("unit") };

const SR = "ceph-rbd://rbd/sr-1?conf=%2Fetc%2Fceph%2Fceph.conf&user=admin";
const KEY = "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11";
const CREATE = { dbg: "t", sr: SR, name: "disk", description: "d", size: 10, sharable: false };
const VOLUME = {
  key: KEY,
  uuid: KEY,
  name: "disk",
  description: "d",
  read_write: true,
  sharable: false,
  virtual_size: 4194304,
  physical_utilisation: 0,
  uri: ["rbd://rbd/sr-1/vol?conf=%2Fetc%2Fceph%2Fceph.conf&user=admin&key=" + KEY],
  keys: { "vdi-type": "user" },
};

// A Volume.create whose handler records its calls and returns what it is told to.
function createVerb(result: () => unknown) {
  const calls: unknown[] = [];
  const verb = defineVerb(VolumeCreate, async (p) => {
    calls.push(p);
    return result() as never;
  });
  return { verb, calls };
}

const failure = (o: Outcome) => {
  if (o.ok) throw new Error(`expected a failure, got ${JSON.stringify(o.result)}`);
  return o.error;
};

describe("dispatch with valid params", () => {
  it("returns the handler's result, having passed it the params", async () => {
    const { verb, calls } = createVerb(() => VOLUME);
    expect(await dispatch(verb, CREATE, ctx)).toEqual({ ok: true, result: VOLUME });
    expect(calls).toEqual([CREATE]);
  });

  it("gives null for a unit result", async () => {
    const verb = defineVerb(SrDetach, async () => null);
    const o = await dispatch(verb, { dbg: "t", sr: SR }, ctx);
    expect(o).toEqual({ ok: true, result: null });
    expect(JSON.stringify(o.ok && o.result)).toBe("null");
  });

  it("passes the context to the handler", async () => {
    let seen: Context | undefined;
    const verb = defineVerb(SrDetach, async (_p, c) => {
      seen = c;
      return null;
    });
    await dispatch(verb, { dbg: "t", sr: SR }, ctx);
    expect(seen?.dbg).toBe("unit");
  });
});

describe("dispatch refuses bad params before any work", () => {
  const bad: Array<[string, unknown]> = [
    ["an array", [CREATE]],
    ["a string", JSON.stringify(CREATE)],
    ["null", null],
    ["a number", 1],
    ["a missing field", { dbg: "t", sr: SR, name: "disk", description: "d", size: 10 }],
    ["a missing dbg", { sr: SR, name: "disk", description: "d", size: 10, sharable: false }],
    ["an extra field", { ...CREATE, uuid: KEY }],
    ["a string for int64", { ...CREATE, size: "10" }],
    ["a float size", { ...CREATE, size: 1.5 }],
    ["a size beyond 2^53", { ...CREATE, size: 2 ** 60 }],
    ['"true" for a bool', { ...CREATE, sharable: "true" }],
    ["1 for a bool", { ...CREATE, sharable: 1 }],
    ["null for a string", { ...CREATE, name: null }],
    ["an empty sr", { ...CREATE, sr: "" }],
    ["a NUL in sr", { ...CREATE, sr: "a\u0000b" }],
  ];
  it.each(bad)("%s -> Invalid_parameters, handler not called", async (_what, params) => {
    const { verb, calls } = createVerb(() => VOLUME);
    const e = failure(await dispatch(verb, params, ctx));
    expect(e.code).toBe("SR_BACKEND_FAILURE");
    expect(e.params[0]).toBe("Invalid_parameters");
    expect(e.params).toHaveLength(2);
    expect(calls).toHaveLength(0);
  });

  it("names the offending field", async () => {
    const { verb } = createVerb(() => VOLUME);
    expect(failure(await dispatch(verb, { ...CREATE, size: "10" }, ctx)).params[1]).toContain("size");
  });
});

describe("dispatch never lets an invalid result out", () => {
  it.each([
    ["uuid: null", { ...VOLUME, uuid: null }],
    ["a float size", { ...VOLUME, virtual_size: 1.5 }],
    ["a missing field", { ...VOLUME, keys: undefined }],
    ["an extra field", { ...VOLUME, snapshot_of: KEY }],
    ["a non-string key value", { ...VOLUME, keys: { a: 1 } }],
    ["undefined", undefined],
  ])("a volume with %s -> Internal_error", async (_what, result) => {
    const { verb } = createVerb(() => result);
    const e = failure(await dispatch(verb, CREATE, ctx));
    expect(e.code).toBe("SR_BACKEND_FAILURE");
    expect(e.params[0]).toBe("Internal_error");
    expect(e.params[1]).toContain("Volume.create");
  });

  const STAT = { sr: SR, name: "n", description: "", free_space: 0, total_space: 0, datasources: [], clustered: false };
  it.each([
    ['"Healthy"', "Healthy"],
    ['["Healthy"]', ["Healthy"]],
    ['["Fine", ""]', ["Fine", ""]],
  ])("an sr_stat with health %s -> Internal_error", async (_what, health) => {
    const verb = defineVerb(SrStatVerb, async () => ({ ...STAT, health }) as never);
    const e = failure(await dispatch(verb, { dbg: "t", sr: SR }, ctx));
    expect(e.params[0]).toBe("Internal_error");
  });

  it('an sr_stat with health ["Healthy", ""] is fine', async () => {
    const verb = defineVerb(SrStatVerb, async () => ({ ...STAT, health: ["Healthy", ""] as ["Healthy", string] }));
    expect(await dispatch(verb, { dbg: "t", sr: SR }, ctx)).toMatchObject({ ok: true, result: { health: ["Healthy", ""] } });
  });

  it("a unit verb returning undefined -> Internal_error", async () => {
    const verb = defineVerb(SrDetach, async () => undefined as never);
    expect(failure(await dispatch(verb, { dbg: "t", sr: SR }, ctx)).params[0]).toBe("Internal_error");
  });
});

describe("dispatch reports what the handler throws", () => {
  it("a named error keeps its code and params", async () => {
    const { verb } = createVerb(() => {
      throw new Volume_does_not_exist(KEY, "gone");
    });
    const e = failure(await dispatch(verb, CREATE, ctx));
    expect(e.code).toBe("SR_BACKEND_FAILURE");
    expect(e.params).toEqual(["Volume_does_not_exist", KEY]);
    expect(e.backtrace.error).toBe("gone");
  });

  it("a XenAPI error keeps its own code", async () => {
    const { verb } = createVerb(() => {
      throw shrinkRefused(2, 1);
    });
    expect(failure(await dispatch(verb, CREATE, ctx))).toMatchObject({ code: "SR_BACKEND_FAILURE_79", params: ["VDI Invalid size", "shrinking not allowed"] });
  });

  it("anything else is Internal_error", async () => {
    const { verb } = createVerb(() => {
      throw new TypeError("x is undefined");
    });
    const e = failure(await dispatch(verb, CREATE, ctx));
    expect(e.params).toEqual(["Internal_error", "TypeError: x is undefined"]);
    expect(Object.keys(e).sort()).toEqual(["backtrace", "code", "params"]);
  });
});
