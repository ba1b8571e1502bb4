// xapi-storage-script's way in: `<Verb> --json`, the params object on stdin, the bare result
// (or the error object and a non-zero exit) on stdout. Nothing here loads CLI-only code.
import { cephCalls } from "../ceph/stats.js";
import { createLogger } from "../log.js";
import { Invalid_parameters } from "../wire/errors.js";
import { codeCacheState } from "./code-cache-state.js";
import { dispatch } from "./dispatch.js";
import { printError, printResult } from "./output.js";
import { readStdin } from "./stdin.js";
import type { Verb } from "./verb.js";
import { toWireError } from "./wire-error.js";

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Invalid_parameters(`stdin is not one JSON object: ${(e as Error).message}`);
  }
};

export async function runJson(verb: Verb): Promise<void> {
  const started = process.hrtime.bigint();
  let params: unknown;
  try {
    params = parseJson(await readStdin());
  } catch (e) {
    const log = createLogger("");
    log.error(`${verb.schema.name}: ${(e as Error).message}`);
    log.flush();
    return printError(toWireError(e));
  }
  const dbg = typeof (params as { dbg?: unknown })?.dbg === "string" ? (params as { dbg: string }).dbg : "";
  const log = createLogger(dbg);
  log.debug(`${verb.schema.name}: code cache ${codeCacheState() ?? "not used"}`);
  const outcome = await dispatch(verb, params, { dbg, log });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cost = `${ms.toFixed(0)} ms, ${cephCalls.count} Ceph calls (${cephCalls.cli} CLI), ${cephCalls.omapEntries} omap entries read`;
  if (outcome.ok) {
    log.info(`${verb.schema.name} ok in ${cost}`);
    log.flush(!verb.quiet);
    return printResult(outcome.result);
  }
  log.error(`${verb.schema.name} failed in ${cost}: ${outcome.error.code} ${JSON.stringify(outcome.error.params)}`);
  log.flush();
  return printError(outcome.error);
}
