// The environment that puts a dying `rbd` first on PATH (crashing-cli/rbd: it aborts the way
// Ceph's C++ libraries abort their process, `times` times, on calls whose arguments contain
// `args`, and runs `real` otherwise), and how many times it died.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const FAKE_DIR = fileURLToPath(new URL("./crashing-cli", import.meta.url));

export function crashingRbd(o: { times: number; args?: string; real?: string }) {
  const marker = join(mkdtempSync(join(tmpdir(), "rbd-crash-")), "crashed");
  const real = o.real ?? execFileSync("sh", ["-c", "command -v rbd"], { encoding: "utf8" }).trim();
  const env: Record<string, string> = { PATH: `${FAKE_DIR}:${process.env.PATH}`, CRASH_TIMES: String(o.times), CRASH_MARKER: marker, CRASH_REAL: real };
  if (o.args) env.CRASH_ARGS = o.args;
  return { env, crashes: () => (existsSync(marker) ? readFileSync(marker, "utf8").split("\n").filter(Boolean).length : 0) };
}
