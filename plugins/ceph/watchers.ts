// The clients watching an image's header (`rbd status`): every librbd or kernel client that has
// the image open, on any host. Fencing needs to know which of them are this host's own; this
// module only lists them, with the global id that names each client (`client.<id>`). Through
// the librados session: an activation lists them twice, and an `rbd` process costs more than
// the activation's whole budget allows.
import type * as z from "zod/mini";
import type { Logger } from "../log.js";
import type { Place } from "./cluster.js";
import { parseValue, Watchers } from "./outputs.js";
import { imageSpec } from "./rbd.js";
import { librados } from "./session.js";

export type Watcher = z.infer<ReturnType<typeof Watchers>>["watchers"][number];

export async function watchersOf(p: Place, log: Logger, image: string): Promise<Watcher[]> {
  const watchers = await librados<unknown>(p, log, `status ${imageSpec(p, image)}`, "image_watchers", { image });
  return parseValue(Watchers(), { watchers }, "image watchers").watchers;
}
