// What every bench module uses: the repository's root, sizes, sleeping and logging.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(fileURLToPath(import.meta.url), "../../..");

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
export const tail = (s, n = 1500) => (s.trim().length > n ? `...${s.trim().slice(-n)}` : s.trim()) || "(empty)";
