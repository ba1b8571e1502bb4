// Node modules that only some paths use, loaded on first use: imported at the top, each would be
// loaded by every verb at start, with the streams it pulls in (profiled Plugin.Query: node:crypto
// and node:net were 9 M of its 162 M instructions; node:child_process costs a verb 3.6 ms).
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export const childProcess = (): typeof import("node:child_process") => load("node:child_process");
export const crypto = (): typeof import("node:crypto") => load("node:crypto");
export const net = (): typeof import("node:net") => load("node:net");
