// The admin's way in: the same executable without --json takes named options (from the verb's
// own params schema), prints --help, and prints the result readably. Loaded only on this path.
import yargs from "yargs";
import type * as z from "zod/mini";
import { createLogger } from "../log.js";
import { dispatch } from "./dispatch.js";
import { failHuman, printText } from "./output.js";
import type { VerbTable } from "./verb.js";

type Kind = "string" | "boolean" | "int" | "map" | "json";

const kindOf = (schema: z.ZodMiniType): Kind => {
  const def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodMiniType } } })._zod.def;
  if (def.type === "optional" && def.innerType) return kindOf(def.innerType);
  if (def.type === "string") return "string";
  if (def.type === "boolean") return "boolean";
  if (def.type === "number") return "int";
  if (def.type === "record") return "map";
  return "json";
};

const units: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

// Sizes read as bytes, or with a binary suffix (10G, 512MiB) for people typing them.
const parseInt64 = (raw: string): number | string => {
  const m = /^(-?\d+)\s*([kmgtp]?)(i?b)?$/i.exec(raw.trim());
  return m?.[1] !== undefined ? Number(m[1]) * (units[(m[2] ?? "").toLowerCase()] ?? 1) : raw;
};

const parseMap = (items: readonly string[]): Record<string, string> =>
  Object.fromEntries(
    items.map((item) => {
      const at = item.indexOf("=");
      return at < 0 ? [item, ""] : [item.slice(0, at), item.slice(at + 1)];
    }),
  );

const render = (value: unknown, indent = ""): string => {
  if (value === null || value === undefined) return `${indent}ok`;
  if (typeof value !== "object") return `${indent}${String(value)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}(none)`;
    return value.map((v) => (typeof v === "object" && v !== null ? `${indent}-\n${render(v, `${indent}  `)}` : `${indent}- ${String(v)}`)).join("\n");
  }
  return Object.entries(value)
    .map(([k, v]) => (typeof v === "object" && v !== null ? `${indent}${k}:\n${render(v, `${indent}  `)}` : `${indent}${k}: ${String(v)}`))
    .join("\n");
};

export async function runHuman(table: VerbTable, verbName: string, argv: readonly string[]): Promise<void> {
  const load = Object.entries(table).find(([k]) => k.toLowerCase() === verbName.toLowerCase())?.[1];
  if (load === undefined) return failHuman(`${verbName}: not a verb of this plugin (verbs: ${Object.keys(table).join(", ")})`);
  const verb = (await load()).default;
  const shape = (verb.schema.params as unknown as z.ZodMiniObject).shape;
  const fields = Object.entries(shape).filter(([name]) => name !== "dbg");
  let cli = yargs([...argv])
    .scriptName(verbName)
    .usage(`${verbName} [options]\n\nRun the ${verbName} verb as xapi would; add --json to read the params from stdin instead.`)
    .option("dbg", { type: "string", default: "cli", describe: "debug context echoed in every log line" })
    .strict()
    .help()
    .version(false);
  for (const [name, schema] of fields) {
    const kind = kindOf(schema as z.ZodMiniType);
    const describe = {
      string: "text",
      boolean: "true/false",
      int: "integer (bytes; K/M/G/T suffixes allowed)",
      map: "key=value, repeatable",
      json: "JSON value",
    }[kind];
    cli = cli.option(name, {
      type: kind === "boolean" ? "boolean" : kind === "map" ? "array" : "string",
      describe,
      demandOption: kind !== "map",
      ...(kind === "map" ? { default: [] } : {}),
    });
  }
  const args = await cli.parseAsync();
  const params: Record<string, unknown> = { dbg: args.dbg };
  for (const [name, schema] of fields) {
    const raw = args[name];
    const kind = kindOf(schema as z.ZodMiniType);
    if (kind === "int") params[name] = parseInt64(String(raw));
    else if (kind === "map") params[name] = parseMap((raw as unknown[]).map(String));
    else if (kind === "json") params[name] = JSON.parse(String(raw));
    else params[name] = raw;
  }
  const log = createLogger(String(args.dbg));
  const outcome = await dispatch(verb, params, { dbg: String(args.dbg), log });
  log.flush();
  if (outcome.ok) return printText(render(outcome.result));
  return failHuman(`${verbName} failed: ${outcome.error.code} ${outcome.error.params.join(" | ")}\n${outcome.error.backtrace.error}`);
}
