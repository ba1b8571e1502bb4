// Volume sizes as RBD holds them (Volume.create, Volume.resize).
import { Invalid_request } from "../../plugins/wire/errors.js";

// Sizes are rounded up to whole RBD objects (4 MiB, the default object size).
export const GRANULARITY = 4 * 1024 * 1024;
// The largest image an object map can cover at 4 MiB objects (2^50 bytes is refused by RBD).
export const MAX_SIZE = 2 ** 49;

export function roundSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new Invalid_request(`size ${size}`, `size must be a whole number of bytes, at least 0 (got ${size})`);
  if (size > MAX_SIZE) throw new Invalid_request(`size ${size}`, `size ${size} is beyond the largest RBD image (${MAX_SIZE} bytes, 512 TiB)`);
  return Math.ceil(size / GRANULARITY) * GRANULARITY;
}
