// The params of xapi's wire mode, whole, from stdin.
import { readSync } from "node:fs";
import { Invalid_parameters } from "../wire/errors.js";

// Read with plain read(2)s: xapi-storage-script writes the params to a pipe and closes it, and
// process.stdin's stream costs a verb 3.7 ms to set up (profiled Plugin.Query). A descriptor
// left non-blocking by whoever started us is read through the stream from where reads stopped.
export const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(65536);
      const n = readSync(0, buf);
      if (n === 0) return Buffer.concat(chunks).toString("utf8");
      chunks.push(buf.subarray(0, n));
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EAGAIN") throw new Invalid_parameters(`stdin cannot be read: ${code ?? (e as Error).message}`);
  }
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};
