// FNV-1a, 32 bits: short names and identities where node:crypto would cost a verb its load
// (about 20 modules with the streams they pull in) for no security.
export function fnv1a(data: string | Uint8Array, basis = 0x811c9dc5): string {
  let h = basis;
  if (typeof data === "string") for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data.charCodeAt(i), 0x01000193) >>> 0;
  else for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
