// toWireError: every thrown value becomes the one error object xapi-storage-script parses
// (spec 3.2): {code, params, backtrace: {error, files, lines}}, all mandatory.
import { describe, expect, it } from "vitest";
import { CephError } from "../../plugins/ceph/errors.js";
import { toWireError, type WireError } from "../../plugins/runtime/wire-error.js";
import {
  Activated_on_another_host,
  Busy,
  Cancelled,
  Ceph_error,
  Ceph_unreachable,
  Internal_error,
  Invalid_parameters,
  Invalid_request,
  shrinkRefused,
  SR_does_not_exist,
  Sr_not_attached,
  srNotEmpty,
  Unimplemented,
  Volume_does_not_exist,
} from "../../plugins/wire/errors.js";

// The exact wire shape, nothing more, nothing less.
function expectWireShape(w: WireError): void {
  expect(Object.keys(w).sort()).toEqual(["backtrace", "code", "params"]);
  expect(Object.keys(w.backtrace).sort()).toEqual(["error", "files", "lines"]);
  expect(typeof w.code).toBe("string");
  expect(w.params.every((p) => typeof p === "string")).toBe(true);
  expect(typeof w.backtrace.error).toBe("string");
  expect(w.backtrace.files.every((f) => typeof f === "string" && f.length > 0)).toBe(true);
  expect(w.backtrace.lines.every((l) => Number.isInteger(l) && l > 0)).toBe(true);
  expect(w.backtrace.lines).toHaveLength(w.backtrace.files.length);
  expect(JSON.parse(JSON.stringify(w))).toEqual(w);
}

const KEY = "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11";
const named = [
  ["Volume_does_not_exist", (d: string) => new Volume_does_not_exist(d, `no volume ${d} in this SR`)],
  ["SR_does_not_exist", (d: string) => new SR_does_not_exist(d)],
  ["Sr_not_attached", (d: string) => new Sr_not_attached(d)],
  ["Unimplemented", (d: string) => new Unimplemented(d)],
  ["Cancelled", (d: string) => new Cancelled(d)],
  ["Activated_on_another_host", (d: string) => new Activated_on_another_host(d)],
  ["Invalid_parameters", (d: string) => new Invalid_parameters(d)],
  ["Invalid_request", (d: string) => new Invalid_request(d)],
  ["Busy", (d: string) => new Busy(d)],
  ["Ceph_error", (d: string) => new Ceph_error(d)],
  ["Ceph_unreachable", (d: string) => new Ceph_unreachable(d)],
  ["Internal_error", (d: string) => new Internal_error(d)],
] as const;

describe("toWireError for the named errors", () => {
  it.each(named)("%s -> SR_BACKEND_FAILURE [name, detail]", (name, make) => {
    const w = toWireError(make(KEY));
    expectWireShape(w);
    expect(w.code).toBe("SR_BACKEND_FAILURE");
    expect(w.params).toEqual([name, KEY]);
    expect(w.backtrace.files.some((f) => f.endsWith("wire-error.test.ts"))).toBe(true);
  });

  it("keeps the human message apart from the params", () => {
    const w = toWireError(new Volume_does_not_exist(KEY, `no volume ${KEY} in this SR`));
    expect(w.backtrace.error).toBe(`no volume ${KEY} in this SR`);
    expect(w.params).toEqual(["Volume_does_not_exist", KEY]);
  });

  it("Activated_on_another_host has exactly [name, host uuid], as xapi redirects on that shape", () => {
    const host = "b0c8a3f2-6f2e-4b53-9d5e-6a6f7b1f0c2d";
    expect(toWireError(new Activated_on_another_host(host, "activated on another host")).params).toEqual(["Activated_on_another_host", host]);
  });
});

describe("toWireError for XenAPI codes and Ceph errors", () => {
  it("shrinkRefused is SR_BACKEND_FAILURE_79 with xapi's own params", () => {
    const w = toWireError(shrinkRefused(8 * 2 ** 20, 4 * 2 ** 20));
    expectWireShape(w);
    expect(w.code).toBe("SR_BACKEND_FAILURE_79");
    expect(w.params).toEqual(["VDI Invalid size", "shrinking not allowed"]);
    expect(w.backtrace.error).toContain(String(4 * 2 ** 20));
  });

  it("srNotEmpty is SR_NOT_EMPTY with no params", () => {
    const w = toWireError(srNotEmpty(3));
    expectWireShape(w);
    expect(w).toMatchObject({ code: "SR_NOT_EMPTY", params: [] });
  });

  it("a CephError travels with the command's words", () => {
    const w = toWireError(new CephError("unreachable", "rbd ls", "rbd: couldn't connect to the cluster!"));
    expectWireShape(w);
    expect(w.code).toBe("SR_BACKEND_FAILURE");
    expect(w.params).toEqual(["Ceph_unreachable", "rbd ls: rbd: couldn't connect to the cluster!"]);
  });

  it("copies params, so the wire object is a plain array", () => {
    const e = shrinkRefused(2, 1);
    const w = toWireError(e);
    expect(Array.isArray(w.params)).toBe(true);
    expect(w.params).not.toBe(e.params);
  });
});

describe("toWireError for anything else", () => {
  it.each([
    ["an Error", new Error("boom"), "Error: boom"],
    ["a TypeError", new TypeError("x is not a function"), "TypeError: x is not a function"],
    ["a string", "boom", "boom"],
    ["a number", 42, "42"],
    ["undefined", undefined, "undefined"],
    ["an object", { code: "SR_BACKEND_FAILURE", params: ["forged"] }, "[object Object]"],
  ])("%s becomes Internal_error", (_what, thrown, detail) => {
    const w = toWireError(thrown);
    expectWireShape(w);
    expect(w.code).toBe("SR_BACKEND_FAILURE");
    expect(w.params).toEqual(["Internal_error", detail]);
  });

  it("a plain Error keeps its own stack in the backtrace", () => {
    const w = toWireError(new RangeError("out"));
    expect(w.backtrace.error).toBe("RangeError: out");
    expect(w.backtrace.files.length).toBeGreaterThan(0);
    expect(w.backtrace.files.some((f) => f.endsWith("wire-error.test.ts"))).toBe(true);
    expect(w.backtrace.files.every((f) => !f.startsWith("file://"))).toBe(true);
  });

  it("an Error without a stack gives empty files and lines", () => {
    const e = new Error("no stack");
    e.stack = undefined;
    const w = toWireError(e);
    expectWireShape(w);
    expect(w.backtrace).toEqual({ error: "Error: no stack", files: [], lines: [] });
  });
});
