// Plugin.Query's own bundle (runtime/light.ts).
import { runLight } from "../plugins/runtime/light.js";
import query from "./plugin/query.js";

export const main = (full: () => unknown): void => runLight(query, full);
