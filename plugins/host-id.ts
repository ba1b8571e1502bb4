// This host's identity in the pool: XCP-ng's INSTALLATION_UUID (CEPH_RBD_HOST_UUID overrides
// it in test mode, so that tests can play several hosts on one machine).
import { readFileSync } from "node:fs";
import { setting } from "./settings.js";
import { Invalid_parameters } from "./wire/errors.js";

export function hostId(inventory = "/etc/xensource-inventory"): string {
  const forced = setting("hostUuid");
  if (forced) return forced;
  try {
    const m = /^INSTALLATION_UUID=['"]?([0-9a-f-]{36})['"]?$/m.exec(readFileSync(inventory, "utf8"));
    if (m?.[1]) return m[1];
  } catch {
    // fall through
  }
  throw new Invalid_parameters(`cannot tell which host this is: no INSTALLATION_UUID in ${inventory}`);
}
