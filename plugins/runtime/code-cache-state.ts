// How the launcher loaded the plugin's bundle (runtime/code-cache.ts), for the verb's debug log.
// The launcher's bundle and the plugin's share it through a global slot.
export type CodeCacheState = "hit" | "miss" | "rejected" | "off" | "unusable";

const SLOT = Symbol.for("ceph-rbd.code-cache");
const slot = globalThis as { [SLOT]?: CodeCacheState };

export const setCodeCacheState = (s: CodeCacheState): void => {
  slot[SLOT] = s;
};
// Undefined when the bundle was required directly (the admin command, the GC worker).
export const codeCacheState = (): CodeCacheState | undefined => slot[SLOT];
