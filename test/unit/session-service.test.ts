// The session service's protocol (ceph-session-service.py) with its Node client (service-client.ts),
// on the Pythons it must run on, with the stand-in rados module (the protocol is under test here;
// Ceph and the verbs' use of the service are in test/integration/service*.test.ts): the version
// is checked before any operation, a malformed line gets a JSON-RPC error and the connection goes
// on, a Ceph failure carries its errno to the same error kinds, one service per directory (the
// lock), and a service asked to leave takes its socket along.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { JSONRPCErrorException } from "json-rpc-2.0";
import { afterEach, describe, expect, it } from "vitest";
import { CephError } from "../../plugins/ceph/errors.js";
import { connectSocket, ServiceConnection, VERSION_MISMATCH } from "../../plugins/ceph/service-client.js";
import { serviceScript } from "../../plugins/ceph/service-paths.js";

const STUB = fileURLToPath(new URL("../helpers/stub-rados", import.meta.url));
const PY36 = join(homedir(), ".pyenv/versions/3.6.15/bin/python3");
const PYTHONS: [string, string][] = [["/usr/bin/python3", ""], ...(existsSync(PY36) ? [[PY36, " (Python 3.6)"] as [string, string]] : [])];
const REF = { conf: "/nonexistent", user: "u" };

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill("SIGKILL");
});

function service(python: string, dir: string) {
  const socket = join(dir, "socket");
  const child = spawn(python, ["-S", serviceScript(), "--socket", socket, "--pid-file", join(dir, "service.pid"), "--version", "test", "--idle", "30"], {
    stdio: "ignore",
    env: { PATH: process.env.PATH ?? "", LC_ALL: "C", PYTHONPATH: STUB, PYTHONDONTWRITEBYTECODE: "1" },
  });
  started.push(child);
  const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
  return { child, socket, exited };
}

async function connected(socket: string): Promise<ServiceConnection> {
  for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((ok) => setTimeout(ok, 25));
  return new ServiceConnection(await connectSocket(socket, 2000));
}

const version = async (c: ServiceConnection) => ((await c.request("status", {}, "status", 5000)) as { version: string }).version;

describe.each(PYTHONS)("ceph-session-service.py on %s%s", (python) => {
  it("serves operations only after a hello of its version, and answers a malformed line without ending", async () => {
    const s = service(python, mkdtempSync(join(tmpdir(), "svc-unit-")));
    const c = await connected(s.socket);
    const mine = await version(c);
    expect(mine).toBe("test");
    await expect(c.op(REF, "omap list", { op: "omap_list", pool: "p", ns: "", obj: "o" }, 5000)).rejects.toThrow(/hello first/);
    const refused = await c.request("hello", { version: "other" }, "hello", 5000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(JSONRPCErrorException);
    expect((refused as JSONRPCErrorException).code).toBe(VERSION_MISMATCH);
    expect((refused as JSONRPCErrorException).data).toEqual({ version: mine });
    await c.request("hello", { version: mine }, "hello", 5000);
    await c.op(REF, "omap update", { op: "omap_update", pool: "p", ns: "n", obj: "o", set: { k: "vé" } }, 5000);
    expect(await c.op(REF, "omap list", { op: "omap_list", pool: "p", ns: "n", obj: "o" }, 5000)).toEqual([["k", "vé"]]);
    const failed = await c.op(REF, "bogus", { op: "no_such_op", pool: "p" }, 5000).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CephError);
    expect((failed as CephError).kind).toBe("invalid");
    c.end();
  });

  it("is one per directory: a second one leaves, and one asked to leave takes its socket along", async () => {
    const dir = mkdtempSync(join(tmpdir(), "svc-unit-"));
    const first = service(python, dir);
    const c = await connected(first.socket);
    await version(c);
    const second = service(python, dir);
    expect(await second.exited, "the second service exits at once (the lock is taken)").toBe(0);
    await c.request("leave", {}, "leave", 5000);
    c.end();
    expect(await first.exited).toBe(0);
    expect(existsSync(first.socket)).toBe(false);
    // Two Python starts and a leave: seconds on a loaded machine, beyond vitest's default 5 s.
  }, 30_000);
});
