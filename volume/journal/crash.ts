// The journal's step boundaries use the shared fault injection (plugins/crash.ts).
export { crashPoint } from "../../plugins/crash.js";
