// An SR's handle from what a verb is given: the `sr` string of SR.attach, or a device-config.
import type { Context } from "../../plugins/runtime/verb.js";
import { Invalid_parameters } from "../../plugins/wire/errors.js";
import type { Sr } from "../meta/store.js";
import type { DeviceConfig } from "./config.js";
import { parseSrPlace, srPlaceOf } from "./sr-place.js";

export const openSr = (ctx: Context, sr: string): Sr => ({ place: parseSrPlace(sr), log: ctx.log });

const namespaceOf = (c: DeviceConfig): string => {
  if (c.namespace) return c.namespace;
  if (c.sr_uuid) return `sr-${c.sr_uuid}`;
  throw new Invalid_parameters("device-config needs sr_uuid or namespace (as SR.create returned them)");
};

export const srOfConfig = (ctx: Context, c: DeviceConfig): Sr => ({ place: srPlaceOf(c, namespaceOf(c)), log: ctx.log });
