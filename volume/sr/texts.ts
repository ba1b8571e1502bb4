// The SR's name and description (SR.set_name, SR.set_description): an SR must exist to be named.
import type { Context } from "../../plugins/runtime/verb.js";
import { K } from "../meta/layout.js";
import { put, readSr } from "../meta/store.js";
import { openSr } from "./open.js";

export async function setSrText(ctx: Context, p: { sr: string; field: "name" | "description"; value: string }): Promise<null> {
  const sr = openSr(ctx, p.sr);
  await readSr(sr);
  await put(sr, p.field === "name" ? K.name : K.description, p.value);
  return null;
}
