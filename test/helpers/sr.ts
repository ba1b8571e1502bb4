// A fresh SR per test file (its own namespace), created and attached through the verbs.
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { call } from "./run-verb.js";

export interface TestSr {
  uuid: string;
  sr: string;
  config: Record<string, string>;
  pool: string;
  conf: string;
  namespace: string;
}

export const cephEnv = () => {
  const c = inject("ceph");
  return { CEPH_CONF: c.conf };
};

export async function makeSr(extra: Record<string, string> = {}): Promise<TestSr> {
  const { conf, pool } = inject("ceph");
  const uuid = randomUUID();
  const config = await call<Record<string, string>>("SR.create", {
    uuid,
    configuration: { pool, conf, ...extra },
    name: `test ${uuid.slice(0, 8)}`,
    description: "created by the test suite",
  });
  const sr = await call<string>("SR.attach", { configuration: config });
  return { uuid, sr, config, pool: config.pool ?? pool, conf, namespace: config.namespace ?? "" };
}

export interface WireVolume {
  key: string;
  uuid: string;
  name: string;
  description: string;
  read_write: boolean;
  sharable: boolean;
  virtual_size: number;
  physical_utilisation: number;
  uri: string[];
  keys: Record<string, string>;
}
