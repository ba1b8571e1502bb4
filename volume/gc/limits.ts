// Clone-depth limits and the GC's patience, from the environment (the systemd unit's
// EnvironmentFile on a host, through settings.ts), without the GC's code.
import { setting } from "../../plugins/settings.js";

export interface Limits {
  readonly softDepth: number;
  readonly hardDepth: number;
  readonly goneDays: number;
}

// krbd maps at most 16 levels; the hard limit stays below it, the soft one well below.
export const limits = (): Limits => ({
  softDepth: setting("gcSoftDepth"),
  hardDepth: Math.min(setting("gcHardDepth"), 16),
  goneDays: setting("gcGoneDays"),
});
