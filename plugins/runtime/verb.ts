// What a verb module exports: its wire schema and a handler that takes validated params.
import type * as z from "zod/mini";
import type { Logger } from "../log.js";
import type { VerbSchema } from "../wire/verbs.js";

export interface Context {
  readonly dbg: string;
  readonly log: Logger;
}

export interface VerbOptions {
  // Its success goes to stderr only, not to SMlog: for a verb that reads nothing and changes
  // nothing, whose syslog line would cost a process (log.ts) for no news (Plugin.Query, which
  // xapi asks at every start and plugin scan). Failures are logged as any verb's.
  readonly quiet?: boolean;
}

export interface Verb<S extends VerbSchema = VerbSchema> extends VerbOptions {
  readonly schema: S;
  readonly handler: (params: z.infer<S["params"]>, ctx: Context) => Promise<z.input<S["result"]>>;
}

export const defineVerb = <S extends VerbSchema>(schema: S, handler: Verb<S>["handler"], options: VerbOptions = {}): Verb<S> => ({
  schema,
  handler,
  ...options,
});

// A plugin's verb table: wire name -> lazy loader, so one call loads one verb's code.
export type VerbTable = Readonly<Record<string, () => Promise<{ default: Verb }>>>;
