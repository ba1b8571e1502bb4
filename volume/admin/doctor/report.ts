// The doctor's verdicts: each check OK, WARN or FAIL with one line of detail; any FAIL makes
// the report (and the command's exit status) a failure.
import { hostname } from "node:os";
import { VERSION } from "../../../plugins/version.js";

export type Status = "OK" | "WARN" | "FAIL";
export interface Check {
  readonly name: string;
  readonly status: Status;
  readonly detail: string;
}
export interface Report {
  readonly ok: boolean;
  readonly host: string;
  readonly version: string;
  readonly checks: readonly Check[];
}

export const check = (name: string, status: Status, detail: string): Check => ({ name, status, detail });

export const report = (checks: readonly Check[]): Report => ({ ok: checks.every((c) => c.status !== "FAIL"), host: hostname(), version: VERSION, checks });

export function formatHuman(r: Report): string {
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const count = (s: Status) => r.checks.filter((c) => c.status === s).length;
  return [
    `ceph-rbd-admin doctor ${r.version} on ${r.host}`,
    ...r.checks.map((c) => `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`),
    `${count("FAIL")} FAIL, ${count("WARN")} WARN, ${count("OK")} OK`,
  ].join("\n");
}
