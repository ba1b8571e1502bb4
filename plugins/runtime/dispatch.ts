// Runs one verb: params are checked before any work, and the result is checked before anyone
// sees it (a result that fails its own schema is our bug). Whatever fails becomes a wire error.
import { Internal_error, Invalid_parameters } from "../wire/errors.js";
import { describeIssues } from "../wire/issues.js";
import type { Context, Verb } from "./verb.js";
import { toWireError, type WireError } from "./wire-error.js";

export type Outcome = { ok: true; result: unknown } | { ok: false; error: WireError };

const validated = async (verb: Verb, params: unknown, ctx: Context): Promise<unknown> => {
  const input = verb.schema.params.safeParse(params);
  if (!input.success) throw new Invalid_parameters(describeIssues(input.error.issues));
  const output = verb.schema.result.safeParse(await verb.handler(input.data, ctx));
  if (!output.success) throw new Internal_error(`${verb.schema.name} produced an invalid result: ${describeIssues(output.error.issues)}`);
  return output.data;
};

// JSON.parse keeps a "__proto__" key as data, but copying it into a record drops it silently,
// past every strict check: refuse it outright.
const hasProtoKey = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (Object.prototype.hasOwnProperty.call(v, "__proto__") || Object.values(v).some(hasProtoKey));

export async function dispatch(verb: Verb, params: unknown, ctx: Context): Promise<Outcome> {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    return { ok: false, error: toWireError(new Invalid_parameters("params must be one JSON object")) };
  }
  if (hasProtoKey(params)) return { ok: false, error: toWireError(new Invalid_parameters("params: a field named __proto__ is not allowed")) };
  try {
    return { ok: true, result: await validated(verb, params, ctx) };
  } catch (e) {
    return { ok: false, error: toWireError(e) };
  }
}
