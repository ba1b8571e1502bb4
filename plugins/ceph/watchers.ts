// The clients watching an image's header (`rbd status`): every librbd or kernel client that has
// the image open, on any host. Fencing needs to know which of them are this host's own; this
// module only lists them, with the global id that names each client (`client.<id>`).
import type * as z from "zod/mini";
import type { Logger } from "../log.js";
import { clientArgs, type Place } from "./cluster.js";
import { runCeph } from "./exec.js";
import { parseJson, Watchers } from "./outputs.js";
import { imageSpec } from "./rbd.js";

export type Watcher = z.infer<typeof Watchers>["watchers"][number];

export async function watchersOf(p: Place, log: Logger, image: string): Promise<Watcher[]> {
  const out = await runCeph({ tool: "rbd", args: ["status", "--format", "json", imageSpec(p, image)], connection: clientArgs(p.cluster), log, read: true });
  return parseJson(Watchers, out, "rbd status").watchers;
}
