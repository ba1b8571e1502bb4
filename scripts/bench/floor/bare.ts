// The floor of a warm verb in this design (a Node process per verb, the per-host session service
// over its unix socket): stdin read, the same omap read Volume.stat makes (FLOOR_OP, as
// checked.ts prints it), its answer to stdout. Nothing checked, nothing logged. With "cold", the
// service is started first thing, as the launcher does (service-start.ts), and waited for.
import { existsSync } from "node:fs";
import { serviceVersion, socketPath } from "../../../plugins/ceph/service-paths.js";
import { startService } from "../../../plugins/ceph/service-start.js";
import { readStdin } from "../../../plugins/runtime/stdin.js";
import { ask, print } from "./transport.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function main(mode: "bare" | "cold"): Promise<void> {
  if (mode === "cold") startService();
  const params = JSON.parse(await readStdin()) as { key: string };
  const op: unknown = JSON.parse(process.env.FLOOR_OP ?? "null");
  while (!existsSync(socketPath())) await sleep(5);
  const rows = new Map((await ask(socketPath(), serviceVersion(), op)) as Array<[string, string]>);
  print({ key: params.key, name: rows.get(`nam:${params.key}`) });
}
