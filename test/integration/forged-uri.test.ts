// A volume URI comes back from xapi on every datapath call: a forged one, with a part a Ceph tool
// would read as an option or as a second argument (CEPH_ARGS is split on blanks), is refused by
// every datapath verb of both plugins with Invalid_parameters before any work, changing nothing.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { call, DATAPATH_DIR, runExecutable } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const VERBS = ["attach", "activate", "deactivate", "detach"];
const SCHEMES = ["rbd", "rbd+nbd"];

// Each part of a real URI replaced by a hostile value.
const FORGERIES: Array<[string, string]> = [
  ["keyring", "/etc/ceph/x.keyring --plugin_dir=/var/tmp/x"],
  ["keyring", "--plugin_dir=/var/tmp/x"],
  ["conf", "/etc/ceph/ceph.conf --keyring=/tmp/k"],
  ["monhost", "127.0.0.1:6789 --plugin_dir=/var/tmp/x"],
  ["monhost", "127.0.0.1:6789,--plugin_dir=/var/tmp/x"],
  ["user", "--id=admin"],
  ["key", "--help"],
  ["snap", "-s"],
  ["pool", "--pool=rbd"],
  ["namespace", "-n"],
  ["image", "--image-feature=journaling"],
];

function forge(uri: string, part: string, value: string): string {
  const m = /^([a-z+]+):\/\/([^/?]+)\/([^/?]*)\/([^/?]+)\?(.*)$/.exec(uri);
  if (!m) throw new Error(`not a volume URI: ${uri}`);
  const path: Record<string, string> = { pool: m[2] ?? "", namespace: m[3] ?? "", image: m[4] ?? "" };
  const query = new URLSearchParams(m[5]);
  if (part in path) path[part] = encodeURIComponent(value);
  else query.set(part, value);
  return `${m[1]}://${path.pool}/${path.namespace}/${path.image}?${query.toString()}`;
}

describe("a forged volume URI", () => {
  let t: TestSr;
  let volume: WireVolume;
  const state = () =>
    [
      execFileSync("rados", ["--conf", t.conf, "--pool", t.pool, "--namespace", t.namespace, "listomapvals", "ceph_rbd_sr"]),
      execFileSync("rbd", ["--conf", t.conf, "ls", "--long", "--format", "json", `${t.pool}/${t.namespace}`]),
      execFileSync("rbd", ["--conf", t.conf, "status", "--format", "json", `${t.pool}/${t.namespace}/${volume.uri[0]?.split("?")[0]?.split("/").pop()}`]),
    ].join("\n");

  beforeAll(async () => {
    t = await makeSr();
    volume = await call<WireVolume>("Volume.create", { sr: t.sr, name: "forged", description: "", size: 4 * 2 ** 20, sharable: false });
  });

  it.each(FORGERIES)("with %s %j is refused by every datapath verb, nothing changed", { timeout: 120_000 }, async (part, value) => {
    const before = state();
    for (const scheme of SCHEMES) {
      const uri = forge(volume.uri.find((u) => u.startsWith(`${scheme}://`)) ?? "", part, value);
      for (const verb of VERBS) {
        const r = await runExecutable(join(DATAPATH_DIR(scheme), `Datapath.${verb}`), JSON.stringify({ dbg: "forged-uri", uri, domain: "0" }));
        expect(r.code, `${scheme} Datapath.${verb}: ${r.stdout}`).not.toBe(0);
        const e = r.json as { params?: string[] };
        expect(e.params?.[0], `${scheme} Datapath.${verb}: ${r.stdout}`).toBe("Invalid_parameters");
        expect(e.params?.[1], `${scheme} Datapath.${verb} names the part`).toContain(part);
      }
    }
    expect(state()).toBe(before);
  });
});
