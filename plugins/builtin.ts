// Node modules that only some paths use, loaded on first use: imported at the top, each would be
// loaded by every verb at start, with the streams it pulls in (profiled Plugin.Query: node:crypto
// and node:net were 9 M of its 162 M instructions; node:child_process costs a verb 3.6 ms).
import { createRequire } from "node:module";

let loader: NodeJS.Require | undefined;
const load = (name: string): unknown => (loader ??= createRequire(import.meta.url))(name);

export const childProcess = () => load("node:child_process") as typeof import("node:child_process");
export const crypto = () => load("node:crypto") as typeof import("node:crypto");
export const net = () => load("node:net") as typeof import("node:net");
