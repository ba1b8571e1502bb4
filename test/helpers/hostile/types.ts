// The shapes of the hostile-input cases (test/helpers/hostile-cases.ts) and the error codes a case
// may expect.

export type Expect = readonly string[] | "any";

export interface HostileCase {
  readonly verb: string;
  readonly stdin: string;
  // Allowed values of params[0] ("any": any clean error, still never Internal_error).
  readonly expect: Expect;
  // The class the case belongs to, for the per-verb report.
  readonly cls: string;
}

export interface HostileContext {
  sr: string;
  pool: string;
  conf: string;
  namespace: string;
  // What SR.create returned for the test SR (a valid SR.attach configuration).
  config: Record<string, string>;
  // A writable volume with a snapshot and a key, the snapshot, a second writable volume.
  volA: string;
  snapA: string;
  volB: string;
  // The key set on volA.
  keyA: string;
  sizeA: number;
  // An empty pool of our own: SR.create cases that could create a namespace aim here.
  scratchPool: string;
  // A file that only a shell running one of our payloads would create.
  canary: string;
  canaryName: string;
  seed: number;
  full: boolean;
}

export interface HostileSet {
  readonly cases: ReadonlyMap<string, HostileCase[]>;
  // Names an SR.create or SR.attach case could have turned into an RBD namespace of a real pool.
  readonly namespaces: ReadonlySet<string>;
}

export const P = ["Invalid_parameters"] as const;
export const RANGE = ["Invalid_parameters", "Invalid_request"] as const;
export const NOVOL = ["Volume_does_not_exist"] as const;
export const NOSR = ["SR_does_not_exist"] as const;
export const NOSR_OR_P = ["SR_does_not_exist", "Invalid_parameters"] as const;

export type Params = Record<string, unknown>;
