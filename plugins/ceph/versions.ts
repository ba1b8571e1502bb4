// Versions of the installed Ceph tools, without contacting any cluster.
import type { Logger } from "../log.js";
import { runCeph, type Tool } from "./exec.js";

export async function toolVersion(tool: Tool, log: Logger): Promise<string> {
  try {
    return (await runCeph({ tool, args: ["--version"], connection: [], log, deadlineMs: 10_000, read: true })).trim();
  } catch (e) {
    return `unavailable (${(e as Error).message})`;
  }
}
