// Child processes of the bench: one run timed from spawn to exit, and many run a few at a time.
import { spawn } from "node:child_process";
import { log } from "./base.mjs";
import { childEnv } from "./env.mjs";
import { live } from "./state.mjs";

// Runs a program with an argument array (no shell); `ms` is the wall time from spawn to exit.
// `onStdout`, if given, receives stdout instead of it being collected.
export function run(cmd, args, { input, env, onStdout, deadlineMs = 30 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let t1;
    let child;
    try {
      child = spawn(cmd, args, { env: env ?? childEnv(), cwd: "/", stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    } catch (e) {
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
      return;
    }
    live.add(child);
    const out = [];
    const err = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), deadlineMs);
    if (onStdout) onStdout(child.stdout, child);
    else child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("exit", () => {
      t1 = process.hrtime.bigint();
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const ms = Number((t1 ?? process.hrtime.bigint()) - t0) / 1e6;
      resolve({ code, signal, ms, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    if (input !== undefined) {
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    }
  });
}

// Runs `work(i)` for i in [0, n) with at most `limit` at a time; progress every `every` done.
export async function pool(n, limit, work, { every, label } = {}) {
  let next = 0;
  let done = 0;
  let failed = false;
  const results = new Array(n);
  const worker = async () => {
    while (next < n && !failed) {
      const i = next++;
      try {
        results[i] = await work(i);
      } catch (e) {
        failed = true;
        throw e;
      }
      done++;
      if (every && done % every === 0) log(`${label}: ${done}/${n}`);
    }
  };
  // Every worker stops before the first error is passed on: nothing keeps running behind it.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, n) }, worker));
  const rejected = settled.find((x) => x.status === "rejected");
  if (rejected) throw rejected.reason;
  return results;
}
