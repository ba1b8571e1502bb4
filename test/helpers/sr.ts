// A fresh SR per test file (its own namespace), created and attached through the verbs: on the
// shared test cluster, or on a suite's own cluster (`at`), with the verbs' environment (`env`).
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

export async function makeSr(
  extra: Record<string, string> = {},
  at: { conf: string; pool: string } = inject("ceph"),
  env: Record<string, string> = {},
): Promise<TestSr> {
  const { conf, pool } = at;
  const uuid = randomUUID();
  const config = await call<Record<string, string>>(
    "SR.create",
    { uuid, configuration: { pool, conf, ...extra }, name: `test ${uuid.slice(0, 8)}`, description: "created by the test suite" },
    env,
  );
  const sr = await call<string>("SR.attach", { configuration: config }, env);
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
