// roundSize: sizes are whole 4 MiB RBD objects, from 0 up to 2^49 bytes.
import { describe, expect, it } from "vitest";
import { Invalid_request } from "../../plugins/wire/errors.js";
import { roundSize } from "../../volume/volume/size.js";

const MiB = 1024 * 1024;

describe("roundSize", () => {
  it.each([
    [0, 0],
    [1, 4 * MiB],
    [4 * MiB - 1, 4 * MiB],
    [4 * MiB, 4 * MiB],
    [4 * MiB + 1, 8 * MiB],
    [10 * MiB + 1, 12 * MiB],
    [1024 * MiB, 1024 * MiB],
    [2 ** 49 - 1, 2 ** 49],
    [2 ** 49, 2 ** 49],
  ])("%d -> %d", (size, rounded) => {
    expect(roundSize(size)).toBe(rounded);
  });

  it.each([-1, -4 * MiB, 1.5, 4 * MiB + 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 49 + 1, 2 ** 50, Number.MAX_SAFE_INTEGER, 2 ** 60])(
    "%d is an Invalid_request",
    (size) => {
      let error: unknown;
      try {
        roundSize(size);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Invalid_request);
      const e = error as Invalid_request;
      expect(e.code).toBe("SR_BACKEND_FAILURE");
      expect(e.params[0]).toBe("Invalid_request");
      expect(e.params).toHaveLength(2);
    },
  );
});
