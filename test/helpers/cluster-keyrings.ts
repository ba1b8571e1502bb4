// The test cluster's keyrings and the cephx secrets in them, for tests that look for a secret where
// none may be.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { inject } from "vitest";

// The test cluster's directory when scripts/ceph-local.sh made it (also with CEPH_TEST_CONF
// pointing at such a cluster), else "".
export function clusterDir(): string {
  const { dir, conf } = inject("ceph");
  if (dir) return dir;
  return existsSync(join(dirname(conf), "local.env")) ? dirname(conf) : "";
}

// Every keyring of the test cluster: all of its directory's, or the one its conf gives clients.
export function clusterKeyrings(): string[] {
  const { keyring, conf } = inject("ceph");
  const found = new Set<string>();
  if (keyring) found.add(keyring);
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/keyring/.test(e.name)) found.add(p);
    }
  };
  if (clusterDir()) walk(clusterDir());
  if (found.size === 0) {
    const client = /^\[client\]([^[]*)/m.exec(readFileSync(conf, "utf8"))?.[1] ?? "";
    const m = /^\s*keyring\s*=\s*(\S+)/m.exec(client);
    found.add(m?.[1] ?? "/etc/ceph/ceph.client.admin.keyring");
  }
  return [...found];
}

export const secretsOf = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/^\s*key\s*=\s*(\S+)\s*$/gm)].map((m) => m[1] ?? "").filter((k) => k.length >= 16);
