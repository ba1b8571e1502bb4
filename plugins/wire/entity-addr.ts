// A Ceph client's entity address, as `rbd status` lists a watcher and the kernel's sysfs shows
// a mapping's client (`1.2.3.4:0/3040127`, `v1:…`, `v2:…`, `[2001:db8::1]:0/42`). Whatever is
// blocklisted or recorded for fencing passes this check first: `ceph osd blocklist add` also
// takes CIDR ranges and other forms, and a record read back from the SR is data, not trust.
import { net } from "../builtin.js";

const SHAPE = /^(?:(?:v1|v2|any):)?(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9A-Fa-f:.]+)\]):(\d{1,5})\/(\d{1,10})$/;

export function isEntityAddr(address: string): boolean {
  const m = SHAPE.exec(address);
  if (!m) return false;
  const [, v4, v6, port, nonce] = m;
  if (v4 !== undefined ? !net().isIPv4(v4) : !net().isIPv6(v6 ?? "")) return false;
  return Number(port) <= 65535 && Number(nonce) <= 0xffffffff;
}

// The IP part, without brackets or type prefix.
export function entityIp(address: string): string | undefined {
  const m = SHAPE.exec(address);
  return m ? (m[1] ?? m[2]) : undefined;
}
