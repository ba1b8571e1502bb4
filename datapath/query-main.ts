// The datapath plugins' Plugin.Query, in a bundle of its own (runtime/light.ts).
import { runLight } from "../plugins/runtime/light.js";
import type { Scheme } from "../plugins/wire/volume-uri.js";
import { queryVerb } from "./query.js";

export const main = (scheme: Scheme, full: () => unknown): void => runLight(queryVerb(scheme), full);
