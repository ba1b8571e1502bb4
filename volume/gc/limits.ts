// Clone-depth limits and the GC's patience, from the environment (the systemd unit's
// EnvironmentFile on a host). Imports nothing, so verbs can read them without the GC's code.
export interface Limits {
  readonly softDepth: number;
  readonly hardDepth: number;
  readonly goneDays: number;
}

const envInt = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

// krbd maps at most 16 levels; the hard limit stays below it, the soft one well below.
export const limits = (): Limits => ({
  softDepth: envInt("CEPH_RBD_GC_SOFT_DEPTH", 8),
  hardDepth: Math.min(envInt("CEPH_RBD_GC_HARD_DEPTH", 14), 16),
  goneDays: envInt("CEPH_RBD_GC_GONE_DAYS", 7),
});
