// THE mapping from a thrown value to the error object xapi-storage-script parses (spec 3.2).
import { Internal_error, isSmapiError, type SmapiError } from "../wire/errors.js";

export interface WireError {
  code: string;
  params: string[];
  backtrace: { error: string; files: string[]; lines: number[] };
}

const frame = /\(?([^()\s]+):(\d+):\d+\)?$/;

const backtraceOf = (e: Error): { files: string[]; lines: number[] } => {
  const files: string[] = [];
  const lines: number[] = [];
  for (const l of (e.stack ?? "").split("\n").slice(1, 11)) {
    const m = frame.exec(l.trim());
    if (m?.[1] && m[2]) {
      files.push(m[1].replace(/^file:\/\//, ""));
      lines.push(Number(m[2]));
    }
  }
  return { files, lines };
};

export function toWireError(e: unknown): WireError {
  const err: SmapiError = isSmapiError(e) ? e : new Internal_error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  const source = e instanceof Error ? e : err;
  return { code: err.code, params: [...err.params], backtrace: { error: err.message, ...backtraceOf(source) } };
}
