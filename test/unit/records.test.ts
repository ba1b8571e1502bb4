// The record schemas follow rpclib's encoding (spec section 4): optional fields omitted, never
// null; int64 a JSON integer; variants with an argument as [Name, arg].
import { describe, expect, it } from "vitest";
import { Health, ProbeResult, Volume } from "../../plugins/wire/records.js";

const KEY = "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11";
const VOLUME = {
  key: KEY,
  uuid: KEY,
  name: "disk",
  description: "",
  read_write: true,
  sharable: false,
  virtual_size: 4194304,
  physical_utilisation: 0,
  uri: ["rbd://p/n/i?conf=%2Fc&user=u&key=k"],
  keys: {},
};
const { uuid: _uuid, ...WITHOUT_UUID } = VOLUME;
const { keys: _keys, ...WITHOUT_KEYS } = VOLUME;

describe("Volume", () => {
  it.each([
    ["a complete volume", VOLUME],
    ["uuid omitted", WITHOUT_UUID],
    ["the optional variant fields", { ...VOLUME, volume_type: "Data", cbt_enabled: false }],
    ["a size of 2^53 - 1", { ...VOLUME, virtual_size: Number.MAX_SAFE_INTEGER }],
  ])("accepts %s", (_what, v) => {
    expect(Volume().safeParse(v).success).toBe(true);
  });

  it.each([
    ["uuid: null", { ...VOLUME, uuid: null }],
    ["a uuid that is not one", { ...VOLUME, uuid: "vol-1" }],
    ["virtual_size: 1.5", { ...VOLUME, virtual_size: 1.5 }],
    ['virtual_size: "10"', { ...VOLUME, virtual_size: "10" }],
    ["a negative size", { ...VOLUME, physical_utilisation: -1 }],
    ["a missing field", WITHOUT_KEYS],
    ["an empty key", { ...VOLUME, key: "" }],
    ["a non-string key value", { ...VOLUME, keys: { a: 1 } }],
    ["volume_type as [Name]", { ...VOLUME, volume_type: ["Data"] }],
    ["cbt_enabled: null", { ...VOLUME, cbt_enabled: null }],
    ["an unknown field", { ...VOLUME, parent: KEY }],
  ])("rejects %s", (_what, v) => {
    expect(Volume().safeParse(v).success).toBe(false);
  });
});

describe("Health", () => {
  it.each([
    ["Healthy", ""],
    ["Recovering", "OSD_DOWN: 1 osds down"],
    ["Unreachable", "x"],
    ["Unavailable", ""],
  ])("accepts [%j, %j]", (name, reason) => {
    expect(Health().safeParse([name, reason]).success).toBe(true);
  });

  it.each([["Healthy"], [["Healthy"]], [["Healthy", null]], [["Healthy", "", ""]], [["healthy", ""]], [["Fine", ""]], [{ Healthy: "" }]])("rejects %j", (h) => {
    expect(Health().safeParse(h).success).toBe(false);
  });
});

describe("ProbeResult", () => {
  const STAT = {
    sr: "ceph-rbd://p/ns?conf=%2Fc&user=u",
    name: "n",
    description: "",
    free_space: 0,
    total_space: 0,
    datasources: [],
    clustered: false,
    health: ["Healthy", ""],
  };
  const SR_UUID = "b0c8a3f2-6f2e-4b53-9d5e-6a6f7b1f0c2d";
  const probe = (configuration: Record<string, string>, complete: boolean, sr?: unknown) => ({
    configuration,
    complete,
    extra_info: {},
    ...(sr ? { sr } : {}),
  });

  it.each([
    ["an incomplete candidate", probe({ pool: "rbd" }, false)],
    ["a complete candidate", probe({ pool: "rbd" }, true)],
    ["a complete candidate with sr_uuid", probe({ pool: "rbd", sr_uuid: SR_UUID }, true)],
    ["an existing SR", probe({ pool: "rbd", sr_uuid: SR_UUID }, true, STAT)],
  ])("accepts %s", (_what, p) => {
    expect(ProbeResult().safeParse(p).success).toBe(true);
  });

  it.each([
    ["sr_uuid in an incomplete configuration", probe({ pool: "rbd", sr_uuid: SR_UUID }, false)],
    ["an sr without sr_uuid", probe({ pool: "rbd" }, true, STAT)],
    ["an sr with an incomplete configuration", probe({ pool: "rbd", sr_uuid: SR_UUID }, false, STAT)],
    ["an sr whose health is a bare string", probe({ pool: "rbd", sr_uuid: SR_UUID }, true, { ...STAT, health: "Healthy" })],
    ["extra_info missing", { configuration: {}, complete: false }],
  ])("rejects %s", (_what, p) => {
    expect(ProbeResult().safeParse(p).success).toBe(false);
  });
});
