// What the Ceph CLIs report and a later call passes on (lock cookies, lockers, client addresses)
// is checked against its shape: real output parses, a hostile value fails the parse, naming the
// field, instead of reaching an argument list.
import { describe, expect, it } from "vitest";
import { entityAddr, ImageLocks, LockInfo, parseJson, Watchers } from "../../plugins/ceph/outputs.js";

// As Ceph Pacific prints them (rbd lock ls, rados lock info, rbd status).
const imageLocks = (id: string, locker = "client.6172", address = "127.0.0.1:0/1321415630") => JSON.stringify([{ id, locker, address }]);
const lockInfo = (cookie: string, name = "client.4141", addr = "127.0.0.1:0/543184647") =>
  JSON.stringify({ name: "rbd_lock", type: "exclusive", tag: "", lockers: [{ name, cookie, description: "", expiration: "0.000000", addr }] });
const watchers = (address: string) => JSON.stringify({ watchers: [{ address, client: 6172, cookie: 140711852774224 }] });

describe("Ceph outputs passed on to a tool", () => {
  it.each(["auto 140711852774224", "mycookie", "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11"])("takes the lock id %j", (id) => {
    expect(parseJson(ImageLocks(), imageLocks(id), "rbd lock ls")[0]?.id).toBe(id);
    expect(parseJson(LockInfo(), lockInfo(id), "rados lock info").lockers[0]?.cookie).toBe(id);
  });

  it.each(["127.0.0.1:0/3829392", "v2:[::1]:6800/123", "v1:10.0.0.1:6789/0", "[fe80::1]:0/1", "any:192.168.1.2:0/42"])("takes the address %j", (a) => {
    expect(entityAddr().safeParse(a).success).toBe(true);
    expect(parseJson(Watchers(), watchers(a), "rbd status").watchers[0]?.address).toBe(a);
  });

  it.each([
    ["a cookie that is an option", imageLocks("--rbd-blocklist-on-break-lock=true"), "0.id"],
    ["a cookie with a blank", imageLocks("my cookie"), "0.id"],
    ["a cookie with a newline", imageLocks("auto 1\n--x"), "0.id"],
    ["an auto cookie with more", imageLocks("auto 1 --x"), "0.id"],
    ["an empty cookie", imageLocks(""), "0.id"],
    ["a locker that is an option", imageLocks("c", "--id=admin"), "0.locker"],
    ["a locker that is no entity", imageLocks("c", "4123"), "0.locker"],
    ["an address that is an option", imageLocks("c", "client.1", "--mon-host=10.0.0.1"), "0.address"],
    ["an address with a blank", imageLocks("c", "client.1", "127.0.0.1:0/1 --x"), "0.address"],
  ])("refuses %s from rbd lock ls", (_what, text, field) => {
    expect(() => parseJson(ImageLocks(), text, "rbd lock ls")).toThrow(`rbd lock ls: unexpected output shape: ${field}:`);
  });

  it.each([
    ["a cookie that is an option", lockInfo("--evil"), "lockers.0.cookie"],
    ["a locker that is an option", lockInfo("c", "-x"), "lockers.0.name"],
    ["an address that is a host name", lockInfo("c", "client.1", "evil.example.org:0/1"), "lockers.0.addr"],
  ])("refuses %s from rados lock info", (_what, text, field) => {
    expect(() => parseJson(LockInfo(), text, "rados lock info")).toThrow(`rados lock info: unexpected output shape: ${field}:`);
  });

  it.each(["--mon-host=1.2.3.4", "1.2.3.4:0/1\n", "1.2.3.4", "1.2.3.4:0/1/2", "[::1 ]:0/1", ""])("refuses the watcher address %j", (a) => {
    expect(() => parseJson(Watchers(), watchers(a), "rbd status")).toThrow("rbd status: unexpected output shape: watchers.0.address:");
  });
});
