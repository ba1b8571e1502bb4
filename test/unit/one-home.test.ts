// Facts written once: "not found is fine" (ignoreNotFound), process liveness (process.ts), the
// metadata key spellings (layout.ts, wire/sr-object.ts). These scan the sources for the old
// second spellings, so a new copy fails here.
import { describe, expect, it } from "vitest";
import { CephError, ignoreNotFound, isNotFound } from "../../plugins/ceph/errors.js";
import { codeLines } from "../helpers/sources.js";

describe("not found is fine, written once", () => {
  it("ignoreNotFound gives the result, or undefined for not_found, and lets anything else through", async () => {
    await expect(ignoreNotFound(Promise.resolve(3))).resolves.toBe(3);
    await expect(ignoreNotFound(Promise.reject(new CephError("not_found", "rbd info x", "no such image")))).resolves.toBeUndefined();
    await expect(ignoreNotFound(Promise.reject(new CephError("busy", "rbd rm x", "busy")))).rejects.toThrow("busy");
    await expect(ignoreNotFound(Promise.reject(new Error("not_found")))).rejects.toThrow("not_found");
    expect(isNotFound(new CephError("not_found", "c", ""))).toBe(true);
    expect(isNotFound({ kind: "not_found" })).toBe(false);
  });

  it("no code outside errors.ts tests a CephError for not_found by hand", () => {
    expect(codeLines(/instanceof CephError && \(?\w+\.kind === "not_found"\)/, ["plugins/ceph/errors.ts"])).toEqual([]);
  });
});
