// Ceph configuration files and keyrings, as Ceph itself reads them. Of a keyring only its mode
// and its section names are ever looked at, never its content.
import { check, type Check } from "./report.js";

// Sections of a ceph.conf, keys normalised as Ceph does ("mon host" = "mon_host" = "mon-host").
export function parseCephConf(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = sections.get("global") ?? new Map<string, string>();
  sections.set("global", current);
  for (const raw of text.split("\n")) {
    const line = raw.replace(/^\s+|\s+$/g, "");
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = (header[1] ?? "").trim();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line
      .slice(0, eq)
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, "_");
    const value = line
      .slice(eq + 1)
      .replace(/\s[#;].*$/, "")
      .trim();
    current.set(key, value);
  }
  return sections;
}

// Where Ceph looks for the keyring of client.<user>, in order: the `keyring` option of the most
// specific section that has one ([client.<user>], [client], [global]), else Ceph's default list;
// a comma-separated list, with $cluster, $name, $type and $id expanded.
export const DEFAULT_KEYRING = "/etc/ceph/$cluster.$name.keyring,/etc/ceph/$cluster.keyring,/etc/ceph/keyring,/etc/ceph/keyring.bin";
export function keyringCandidates(conf: Map<string, Map<string, string>>, user: string, cluster = "ceph"): string[] {
  const name = `client.${user}`;
  const value = [name, "client", "global"].map((s) => conf.get(s)?.get("keyring")).find((v) => v !== undefined) ?? DEFAULT_KEYRING;
  const vars: Record<string, string> = { cluster, name, type: "client", id: user };
  return value
    .split(/[,;]/)
    .map((p) => p.trim().replace(/\$\{?(cluster|name|type|id)\}?/g, (_m, v: string) => vars[v] ?? ""))
    .filter((p) => p.length > 0);
}

export interface KeyringFacts {
  readonly path: string;
  readonly exists: boolean;
  readonly mode?: number | undefined;
  readonly readable?: boolean | undefined;
  // Section names found in the file ([client.xcp] ...), never its content.
  readonly entities?: readonly string[] | undefined;
}

export const keyringEntities = (text: string): string[] => [...text.matchAll(/^\s*\[([^\]]+)\]\s*$/gm)].map((m) => (m[1] ?? "").trim());

export function evaluateKeyring(k: KeyringFacts | undefined, user: string, lookedAt: readonly string[]): Check {
  if (!k) return check("keyring", "FAIL", `no keyring for client.${user} found (looked at ${lookedAt.join(", ")}); give --keyring`);
  if (!k.exists) return check("keyring", "FAIL", `${k.path}: no such file`);
  const mode = (k.mode ?? 0) & 0o7777;
  const octal = `0${mode.toString(8)}`;
  if (mode & 0o002) return check("keyring", "FAIL", `${k.path} is world-writable (mode ${octal}): chmod 600 ${k.path}`);
  if (mode & 0o004)
    return check(
      "keyring",
      "FAIL",
      `${k.path} is world-readable (mode ${octal}): anyone on this host can use the cluster as client.${user}; chmod 600 ${k.path}`,
    );
  if (!k.readable) return check("keyring", "FAIL", `${k.path} is not readable by this user (mode ${octal})`);
  if (k.entities && !k.path.endsWith(".bin") && !k.entities.includes(`client.${user}`)) {
    return check("keyring", "WARN", `${k.path} (mode ${octal}) has no [client.${user}] entry (it has: ${k.entities.join(", ") || "none"})`);
  }
  return check("keyring", "OK", `${k.path} (mode ${octal}), readable, not world-readable`);
}
