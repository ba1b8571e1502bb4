// The activation is claimed on the SR before the datapath starts: a crash mid-start leaves this
// host's claim, a failed start removes it.
import { readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DATAPATH_DIR, runExecutable } from "../helpers/run-verb.js";
import { HOST_A, HOST_B, HOST_D, type Backend, host, ceph, dp, failing, nbdOf, io, imageOf, watchers } from "../helpers/fence-world.js";
import { activationText, activation, volume, fenceWorld } from "../helpers/fence-world.js";

fenceWorld();

describe("the activation is claimed before the export starts", () => {
  it("a crash mid-start leaves this host's claim: another host is refused, this one may activate again", async () => {
    const v = await volume("claim");
    const a = nbdOf(await dp<Backend>("attach", v.uri, "5", host(HOST_A)));
    const killed = await runExecutable(
      join(DATAPATH_DIR("rbd+nbd"), "Datapath.activate"),
      JSON.stringify({ dbg: "crash", uri: v.uri, domain: "5" }),
      ["--json"],
      {
        ...host(HOST_A),
        CEPH_RBD_CRASH_AT: "activate:started",
        CEPH_RBD_LOCK_LEASE: "2",
      },
    );
    expect(killed.code, killed.stdout).toBeNull();
    expect(activation(v.key)).toMatchObject({ host: HOST_A, clients: [], starting: true });
    // The crashed process's lock lease runs out: the claim alone keeps host B away.
    await sleep(2500);
    await dp("attach", v.uri, "6", host(HOST_B));
    const e = await failing("activate", v.uri, host(HOST_B));
    expect(e?.params).toEqual(["Activated_on_another_host", HOST_A]);
    await dp("activate", v.uri, "5", host(HOST_A));
    const record = activation(v.key);
    expect(record?.starting).toBeUndefined();
    expect(record?.clients).toEqual(watchers(imageOf(v.uri)));
    io(a, "write -P 0x55 0 1M");
    await dp("detach", v.uri, "6", host(HOST_B));
    await dp("deactivate", v.uri, "5", host(HOST_A));
    await dp("detach", v.uri, "5", host(HOST_A));
    expect(activation(v.key)).toBeUndefined();
  });

  it("a failed start removes the claim and leaves no server", async () => {
    const v = await volume("nostart");
    // A keyring list whose first path works for Ceph's tools but that no configuration file can hold.
    const keyring = ceph("ceph-conf", ["--name", "client.admin", "keyring"]).trim();
    const forged = new URL(v.uri);
    forged.searchParams.set("keyring", `${keyring};/nowhere`);
    const bad = forged.toString();
    const h = host(HOST_D);
    await dp("attach", bad, "5", h);
    const e = await failing("activate", bad, h);
    expect(e?.backtrace.error).toMatch(/cannot go into a Ceph configuration file/);
    expect(activationText(v.key)).toBeUndefined();
    expect(readdirSync(join(h.CEPH_RBD_RUN_DIR, "nbd"))).toEqual([]);
  });
});
