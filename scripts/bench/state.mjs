// What a bench run shares and changes as it goes: the interruption flag, the running children,
// the private build and the cluster in use.

// Children still running, so that an interruption can stop them.
export const live = new Set();
export const state = { interrupted: false };
export const checkInterrupt = (ignore) => {
  if (state.interrupted && !ignore) throw new Error("interrupted");
};

// The private build (tree.mjs fills it in).
export const tree = { dir: undefined, volume: undefined, datapath: undefined, admin: undefined };

// The cluster in use (cluster.mjs fills it in).
export const cluster = { throwaway: false, dir: undefined, port: undefined, conf: undefined, pool: undefined, user: "admin" };
