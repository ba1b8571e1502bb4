// What a verb module exports: its wire schema and a handler that takes validated params.
import type * as z from "zod/mini";
import type { Logger } from "../log.js";
import type { VerbSchema } from "../wire/verbs.js";

export interface Context {
  readonly dbg: string;
  readonly log: Logger;
}

export interface Verb<S extends VerbSchema = VerbSchema> {
  readonly schema: S;
  readonly handler: (params: z.infer<S["params"]>, ctx: Context) => Promise<z.input<S["result"]>>;
}

export const defineVerb = <S extends VerbSchema>(schema: S, handler: Verb<S>["handler"]): Verb<S> => ({ schema, handler });

// A plugin's verb table: wire name -> lazy loader, so one call loads one verb's code.
export type VerbTable = Readonly<Record<string, () => Promise<{ default: Verb }>>>;
