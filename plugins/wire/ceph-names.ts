// The shapes of every value that reaches a Ceph tool's command line or its configuration: the
// device-config (config.ts), the SR reference and the volume URIs (volume-uri.ts) that carry it
// back on every later call, and what the tools themselves report and a later call passes on
// (lock cookies, lockers, client addresses: outputs.ts). One rule per kind of value, so that
// what a verb accepts and what a forged URI or a hostile cluster could slip in are judged alike.
//
// The common rule: a value is one token. No whitespace (a second word would be an argument of
// its own wherever a value is split on blanks, as Ceph splits CEPH_ARGS), no control characters,
// and no leading '-' (the tools would read an option).
import * as z from "zod/mini";
import { once } from "./once.js";
import { isEntityAddr } from "./entity-addr.js";

// C0 and C1 control characters and DEL.
const CONTROL = "\\u0000-\\u001f\\u007f-\\u009f";
const notIn = (forbidden: string) => `[^\\s${CONTROL}${forbidden}]`;
const tokenRe = (extraForbidden = "") => new RegExp(["^", notIn(`-${extraForbidden}`), notIn(extraForbidden), "*$"].join(""));
const TOKEN_RULE = "must not start with '-' nor contain spaces or control characters";

// A value given as one argument.
export const token = (max: number) => z.string().check(z.minLength(1), z.maxLength(max), z.regex(tokenRe(), TOKEN_RULE));

// Pool, namespace, image and snapshot names: a token without the separators of an image spec
// (pool/namespace/image@snap).
export const cephName = once(() =>
  z.string().check(z.minLength(1), z.maxLength(128), z.regex(tokenRe("/@"), "must not start with '-' nor contain '/', '@', spaces or control characters")),
);

// A cephx client id, without its `client.` prefix.
export const clientId = once(() => z.string().check(z.regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, "must be a cephx client id such as admin")));

// The configuration file and the keyring: absolute paths, one token each.
export const cephPath = once(() =>
  z.string().check(z.maxLength(4096), z.regex(new RegExp(["^/", notIn(""), "*$"].join("")), "must be an absolute path without spaces or control characters")),
);

// mon_host: addresses or host names separated by ',' only (Ceph also takes ';' and blanks; one
// token keeps the whole list one argument), each a host, an IPv4 address or a bracketed IPv6
// one, with an optional port, messenger type (v1:, v2:) and nonce, a bracketed address vector
// (`[v2:1.2.3.4:3300,v1:1.2.3.4:6789]`) spanning two of them.
const MON_ADDR = /^[A-Za-z0-9.:[\]/][A-Za-z0-9.:[\]/-]*$/;
export const monHost = once(() =>
  z.string().check(
    z.maxLength(512),
    z.refine(
      (s) => s.split(",").every((a) => MON_ADDR.test(a)),
      "must be monitor addresses separated by ',', none empty, starting with '-' or holding other characters than letters, digits and . : [ ] / -",
    ),
  ),
);

// A volume key as it travels in a URI (xapi's key field allows 256 characters).
export const volumeKey = once(() => token(256));

// A RADOS lock cookie: a token, or librbd's exclusive-lock cookie `auto <watch handle>`.
export const lockCookie = once(() => z.union([token(256), z.string().check(z.regex(/^auto [0-9]{1,20}$/))]));

// The entity holding a lock or a watch: `client.4123`.
export const entityName = once(() =>
  z.string().check(z.regex(/^(client|osd|mon|mds|mgr)\.[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, "must be a Ceph entity name such as client.4123")),
);

// A client's address as Ceph prints it (entity-addr.ts has the exact rule), e.g.
// `127.0.0.1:0/3829392` or `v2:[::1]:6800/123`.
export const entityAddr = once(() => z.string().check(z.refine(isEntityAddr, "must be a Ceph client address such as 127.0.0.1:0/3829392")));
