// Cases on what SR.create, SR.attach and SR.probe take: the uuid of SR.create and the configuration.
import { P, NOSR, NOSR_OR_P, type Expect } from "./types.js";
import { withRaw, without, isOptionLike, badName, badPath, badUser, badMonhost } from "./values.js";
import type { VerbGen } from "./gen.js";

export function configCases(g: VerbGen): void {
  const { verb, fields, add, base, dbgMix, json, rng, full, ctx, H } = g;
  // --- the uuid of SR.create
  if ("uuid" in fields) {
    const u = rng.uuid();
    const bad = [...H, "not-a-uuid", u.toUpperCase().replace(/-/g, ""), `${u}\n`, ` ${u}`, `${u}\u0000`, u.replace(/.$/, "g"), `${u}${u}`, `{${u}}`];
    for (const b of rng.take("bad uuid", bad, 4, full)) add("bad SR uuid", json(dbgMix({ ...base(), uuid: b })), P);
    // Taking over the test SR's namespace under another uuid.
    add("foreign namespace", json({ ...base(), configuration: { pool: ctx.pool, conf: ctx.conf, namespace: ctx.namespace } }), ["Invalid_request"]);
    const p = base();
    add("sr_uuid mismatch", json({ ...p, configuration: { ...(p.configuration as object), sr_uuid: rng.uuid() } }), P);
  }

  // --- configuration (SR.create, SR.attach, SR.probe)
  if ("configuration" in fields) {
    const cfg = () => ({ ...(base().configuration as Record<string, string>) });
    const withCfg = (c: Record<string, unknown>) => ({ ...base(), configuration: c });
    const unknownKeys = ["bogus", "Pool", "pool ", `$(touch ${ctx.canary})`, "", "sr-uuid", "physical_size", "../../etc/passwd", "keyring_secret"];
    for (const k of rng.take("unknown config key", unknownKeys, 3, full)) add("unknown config key", json(withCfg({ ...cfg(), [k]: "x" })), P);
    // JSON.parse makes "__proto__" an own key like any other: it is just as unknown.
    add("unknown config key", withRaw(base(), "configuration", `${JSON.stringify(cfg()).slice(0, -1)},"__proto__":"x"}`), P);
    const keys = ["pool", "conf", "user", "namespace", "keyring", "monhost", "sr_uuid", "image_features", "datapath"];
    const wrongValues: unknown[] = [42, null, true, {}, [], 1.5, ["x"]];
    for (const k of rng.take("config value type key", keys, 3, full)) {
      for (const v of rng.take("config value type", wrongValues, 1, full)) add("config value type", json(withCfg({ ...cfg(), [k]: v })), P);
    }
    if (verb !== "SR.probe") add("config missing pool", json(withCfg(without(cfg(), "pool"))), P);
    if (verb === "SR.attach") add("config missing namespace", json(withCfg(without(without(cfg(), "namespace"), "sr_uuid"))), P);
    if (verb === "SR.probe") {
      // No pool, so nothing to look at: still, unknown keys and bad values are errors.
      add("probe without pool", json(withCfg({ pol: ctx.pool, conf: ctx.conf })), P);
      add("probe without pool", json(withCfg({ conf: "../../etc/passwd", [`$(touch ${ctx.canary})`]: "x" })), P);
    }
    if (verb === "SR.attach") {
      add("foreign SR uuid", json(withCfg({ ...cfg(), sr_uuid: rng.uuid() })), ["Invalid_request"]);
      const ns = `sr-${rng.uuid()}`;
      add("unknown SR", json(withCfg({ ...cfg(), namespace: ns, sr_uuid: ns.slice(3) })), NOSR);
    }

    // Names that the Ceph tools would read as options: refused, or at least nothing found and
    // nothing created (SR.create aims at the scratch pool, where any namespace is a leak).
    const options = ["--help", "-N", `--pool=${ctx.pool}`, "--"];
    for (const k of ["pool", "namespace", "user", "monhost"]) {
      if (verb === "SR.probe" && k === "namespace") continue; // probe ignores it
      for (const v of rng.take(`options ${k}`, options, 1, full)) {
        if (k === "monhost" && v.includes("=")) continue; // not a monitor address at all: covered below
        add("option-like name", json(dbgMix(withCfg({ ...cfg(), [k]: v }))), verb === "SR.attach" && k === "namespace" ? NOSR_OR_P : "any");
      }
    }

    // Values that a Ceph tool would read as an option, or CEPH_ARGS (split on blanks) as a
    // second argument, each with the rest of a valid configuration.
    const injections: Array<[string, string]> = [
      ["keyring", "/etc/ceph/x.keyring --plugin_dir=/var/tmp/x"],
      ["keyring", "/etc/ceph/x.keyring\t-k"],
      ["conf", `${ctx.conf} --keyring=/tmp/k`],
      ["monhost", "127.0.0.1:6789 --plugin_dir=/var/tmp/x"],
      ["monhost", "127.0.0.1:6789,--plugin_dir=/var/tmp/x"],
    ];
    for (const [k, v] of injections) add("option in a config value", json(withCfg({ ...cfg(), [k]: v })), P);

    // Hostile values, key by key, with what each must give.
    const paths = ["/dev/null", "/etc/passwd", `/tmp/$(touch ${ctx.canary})`, "/nonexistent/ceph.conf", "/", `/${"a".repeat(65535)}`];
    const perKey = full ? 8 : 1;
    for (const k of keys) {
      const values = [...H, ...(k === "conf" || k === "keyring" ? paths : [])];
      const chosen = full
        ? [...rng.take(`config ${verb}.${k}`, values, perKey, false), ...Array.from({ length: 2 }, () => rng.nasty())]
        : rng.take(`config ${verb}.${k}`, values, perKey, false);
      for (const v of chosen) {
        const c: Record<string, string> = { ...cfg(), [k]: v };
        let expect: Expect;
        switch (k) {
          case "pool":
            expect = badName(v) ? P : "any";
            break;
          case "namespace":
            if (badName(v)) expect = P;
            else if (verb === "SR.probe")
              continue; // ignored by probe: legal
            else if (verb === "SR.create" && !isOptionLike(v)) {
              // A legal name would make a legal SR: only in a pool that does not exist.
              c.pool = `nopool-${rng.hex(8)}`;
              expect = "any";
            } else expect = verb === "SR.attach" ? NOSR_OR_P : "any";
            break;
          case "conf":
          case "keyring":
            expect = badPath(v) ? P : "any";
            break;
          case "user":
            expect = badUser(v) ? P : "any";
            break;
          case "monhost":
            if (!badMonhost(v) && !isOptionLike(v)) continue; // a host name to hunt for: slow, not hostile
            expect = badMonhost(v) ? P : "any";
            break;
          default: // sr_uuid, image_features, datapath: closed sets
            expect = P;
        }
        add(`config ${k}`, json(dbgMix(withCfg(c))), expect);
      }
    }
  }
}
