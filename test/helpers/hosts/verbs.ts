// The plugin run on a test host as xapi-storage-script runs it there: the built executables,
// `--json`, the params on stdin; the admin command; and qemu-io on an NBD export of the host.
import { join } from "node:path";
import { ADMIN, DATAPATH_DIR, VOLUME_DIR, type VerbRun, type WireError } from "../run-verb.js";
import { onHost, type TestHost } from "./host.js";

export const verbOn = (h: TestHost, verb: string, params: unknown, env?: Record<string, string>): Promise<VerbRun> =>
  onHost(h, [join(VOLUME_DIR, verb), "--json"], typeof params === "string" ? params : JSON.stringify(params), env);

export async function callOn<T = unknown>(h: TestHost, verb: string, params: Record<string, unknown>, env?: Record<string, string>): Promise<T> {
  const r = await verbOn(h, verb, { dbg: `${h.name}-${verb}`, ...params }, env);
  if (r.code !== 0) throw new Error(`${verb} on ${h.name} exited ${r.code}: ${r.stdout}\n${r.stderr.slice(-2000)}`);
  return r.json as T;
}

export const adminOn = (h: TestHost, args: string[], env?: Record<string, string>, timeoutMs?: number): Promise<VerbRun> =>
  onHost(h, [ADMIN, ...args], "", env, timeoutMs);

// A datapath verb of the rbd+nbd plugin on the host: its run, answer or error object.
export const dpRun = (h: TestHost, verb: string, uri: string, domain: string, env?: Record<string, string>): Promise<VerbRun> =>
  onHost(h, [join(DATAPATH_DIR("rbd+nbd"), `Datapath.${verb}`), "--json"], JSON.stringify({ dbg: `${h.name}-${verb}`, uri, domain }), env);

export async function dpOn<T = null>(h: TestHost, verb: string, uri: string, domain: string, env?: Record<string, string>): Promise<T> {
  const r = await dpRun(h, verb, uri, domain, env);
  if (r.code !== 0) throw new Error(`Datapath.${verb} on ${h.name} exited ${r.code}: ${r.stdout}\n${r.stderr.slice(-2000)}`);
  return r.json as T;
}

export async function dpFails(h: TestHost, verb: string, uri: string, domain: string): Promise<WireError> {
  const r = await dpRun(h, verb, uri, domain);
  if (r.code === 0) throw new Error(`Datapath.${verb} on ${h.name} succeeded but should have failed`);
  return r.json as WireError;
}

export type Backend = { implementations: Array<[string, Record<string, unknown>]> };
export const nbdOf = (b: Backend): string => (b.implementations.find(([k]) => k === "Nbd")?.[1] as { uri: string }).uri;

// qemu-io on the host against an NBD export URI (nbd:unix:<socket>:exportname=<name>), bounded.
export function ioOn(h: TestHost, nbd: string, cmd: string, timeoutMs = 60_000): Promise<VerbRun> {
  const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd);
  if (!m) throw new Error(`not an NBD unix URI: ${nbd}`);
  return onHost(h, ["qemu-io", "-f", "raw", "-c", cmd, `nbd+unix:///${m[2]}?socket=${m[1]}`], "", {}, timeoutMs);
}
