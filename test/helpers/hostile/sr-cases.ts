// Cases on the sr field: unknown, garbage, odd names, an unreachable cluster.
import { P, NOSR, NOSR_OR_P } from "./types.js";
import { encodable, badName } from "./values.js";
import type { VerbGen } from "./gen.js";

export function srCases(g: VerbGen): void {
  const { verb, fields, add, base, dbgMix, json, rng, full, ctx, H, srUrl, unknownSr, q } = g;
  // --- the sr field
  if ("sr" in fields) {
    const idempotent = verb === "SR.detach";
    if (!idempotent) {
      const n = full ? 3 : 1;
      for (let i = 0; i < n; i++) add("unknown SR", json(dbgMix({ ...base(), sr: unknownSr() })), NOSR);
      if (full || rng.chance(0.5)) add("unknown SR", json({ ...base(), sr: srUrl(`nopool-${rng.hex(8)}`, `sr-${rng.uuid()}`, q) }), NOSR);
    }
    const m = /^ceph-rbd:\/\/([^/?]+)\/([^/?]+)\?(.*)$/.exec(ctx.sr);
    const [ourPool, ourNs] = [decodeURIComponent(m?.[1] ?? ""), decodeURIComponent(m?.[2] ?? "")];
    // Malformed, or naming what cannot be a cluster: Invalid_parameters, even for SR.detach.
    const garbage = [
      "garbage",
      "ceph-rbd://",
      "ceph-rbd:///?",
      "file:///srv/sr",
      `ceph-rbd://${ourPool}`,
      `ceph-rbd://${ourPool}/${ourNs}`,
      `ceph-rbd://${ourPool}/${ourNs}/extra?conf=${encodeURIComponent(ctx.conf)}&user=admin`,
      ctx.sr.toUpperCase(),
      `${ctx.sr}\n`,
      ` ${ctx.sr}`,
      `${ctx.sr}\u0000`,
      srUrl(ourPool, ourNs, { conf: "etc/ceph/ceph.conf", user: "admin" }),
      srUrl(ourPool, ourNs, { conf: ctx.conf, user: `$(touch ${ctx.canary})` }),
      srUrl(ourPool, ourNs, { conf: ctx.conf, user: "" }),
      srUrl(ourPool, ourNs, { conf: ctx.conf, user: "admin", datapath: "bogus" }),
      srUrl(ourPool, ourNs, { conf: ctx.conf, user: "admin", keyring: "../../etc/passwd" }),
      srUrl(ourPool, ourNs, { conf: ctx.conf, user: "admin", monhost: "a;b" }),
      srUrl(ourPool, ourNs, { conf: `${ctx.conf}\n`, user: "admin" }),
      `ceph-rbd://${ourPool}/%zz?conf=${encodeURIComponent(ctx.conf)}&user=admin`,
      srUrl(`${ourPool}/x`, ourNs, q),
      srUrl(ourPool, "../../etc/passwd", q),
      srUrl(ourPool, `$(touch ${ctx.canary})`, q),
      srUrl(ourPool, "a\nb", q),
      ...H.filter((h) => !h.startsWith("ceph-rbd://")),
    ];
    for (const g of rng.take("garbage SR", garbage, 2, full)) add("garbage SR", json(dbgMix({ ...base(), sr: g })), P);
    if (full) for (let i = 0; i < 4; i++) add("garbage SR", json({ ...base(), sr: `x${rng.nasty()}` }), P);
    if (!idempotent) {
      // Well-formed, with names a shell or a command line would misread: no such SR.
      const odd = H.filter((h) => !badName(h) && h.length <= 128 && encodable(h));
      for (const name of rng.take("odd SR names", odd, 1, full)) {
        add("odd SR names", json(dbgMix({ ...base(), sr: srUrl(ourPool, name, q) })), NOSR_OR_P);
        if (full || rng.chance(0.3)) add("odd SR names", json({ ...base(), sr: srUrl(name, ourNs, q) }), NOSR_OR_P);
      }
      // Well-formed, pointing the Ceph tools at no cluster at all: some clean error.
      const broken: Record<string, string>[] = [
        { conf: "/dev/null", user: "admin" },
        { conf: "/etc/passwd", user: "admin" },
        { conf: `/tmp/$(touch ${ctx.canary})`, user: "admin" },
        { conf: "/nonexistent/ceph.conf", user: "admin" },
        { conf: ctx.conf, user: "admin", keyring: "/dev/null" },
        { conf: ctx.conf, user: "nobody" },
      ];
      // Not for SR.stat: an unreachable cluster is a health state there (["Unreachable", ...]).
      if (verb !== "SR.stat") {
        for (const b of rng.take("broken cluster", broken, 1, full)) add("unreachable cluster", json({ ...base(), sr: srUrl(ourPool, ourNs, b) }), "any");
      }
    }
  }
}
