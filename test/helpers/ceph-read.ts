// A read-only Ceph CLI command, for the tests' own look at the cluster. Pacific's librbd client
// sometimes aborts under load while it opens or closes an image ("terminate called after throwing
// an instance of 'std::system_error'", in its io_context_pool thread: seen in CI from `rbd du`).
// That is the reference tool failing, not the product: a read killed by a signal is run once more,
// and said so. Any other failure, and a second crash, fail the test as before.
import { execFileSync } from "node:child_process";

export function cephRead(cmd: "rbd" | "rados" | "ceph", args: readonly string[]): string {
  const run = () => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  try {
    return run();
  } catch (e) {
    const signal = (e as { signal?: string | null }).signal;
    if (signal !== "SIGABRT" && signal !== "SIGSEGV") throw e;
    console.warn(`${cmd} ${args.join(" ")}: the Ceph client died (${signal}); read again`);
    return run();
  }
}
