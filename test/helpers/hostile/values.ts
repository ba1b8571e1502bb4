// Hostile strings, raw-JSON writers, and the predicates that say what a value must give.
import { CAPS } from "../../../plugins/wire/verbs.js";
import type { HostileContext, Params } from "./types.js";

const RAW = "__hostile_raw_value__";

// JSON of params with one field's value replaced by raw JSON text (numbers JSON.stringify
// cannot write, such as 1e300 or 2^63 exactly as a client would send them).
export const withRaw = (p: Params, field: string, raw: string): string => JSON.stringify({ ...p, [field]: RAW }).replace(`"${RAW}"`, raw);

// A key added at the end of the object, written raw (so "__proto__" stays an own key).
export const withExtra = (p: Params, key: string, raw: string): string => {
  const s = JSON.stringify(p);
  return `${s.slice(0, -1)}${s.length > 2 ? "," : ""}${JSON.stringify(key)}:${raw}}`;
};

export const without = (p: Params, field: string): Params => {
  const { [field]: _gone, ...rest } = p;
  return rest;
};

export function hostileStrings(ctx: HostileContext): string[] {
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

export const isOptionLike = (s: string) => s.startsWith("-");
export const encodable = (s: string) => {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};
const hasControl = (s: string) => /[\u0000-\u001f\u007f]/.test(s);

// Certainly not a Ceph pool or namespace name, whatever else the plugin allows.
export const badName = (s: string) => s === "" || s.length > 4096 || /[/@\s]/.test(s) || hasControl(s);
// Certainly not an absolute path that is one argument.
export const badPath = (s: string) => !s.startsWith("/") || hasControl(s) || /\s/.test(s);
// Certainly not a cephx id.
export const badUser = (s: string) => !/^(client\.)?[A-Za-z0-9_.-]+$/.test(s) || s.length > 4096;
// Certainly not a ','-separated list of monitor addresses (and nothing that would make a client
// hunt for one).
export const badMonhost = (s: string) => !/^[A-Za-z0-9.:,[\]/-]+$/.test(s) || s.length > 4096 || s.split(",").some((a) => a === "" || a.startsWith("-"));
// A volume key the key schema accepts, so it must be looked up and not found.
export const lookupKey = (s: string) => s.length > 0 && s.length <= 256 && !s.includes("\u0000");
// Free text over the cap of the field that stores it (name, description, a key's value).
export const bytes = (s: string) => Buffer.byteLength(s, "utf8");
export const textCap = (field: string): number => (field === "v" ? CAPS.v : field.endsWith("description") ? CAPS.description : CAPS.name);
export const overCap = (field: string, s: string) => bytes(s) > textCap(field);
// One byte over a cap, in two-byte characters: fewer characters than bytes.
export const oneOver = (cap: number) => "é".repeat(Math.floor((cap + 1) / 2)) + "a".repeat((cap + 1) % 2);
