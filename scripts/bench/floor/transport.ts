// What every floor client does with the session service: one connection, the hello and the one
// operation written together (a verb cannot do with less: the service checks the version first),
// and the operation's answer. No deadline, no fallback: the least a verb's transport can cost.
import { writeSync } from "node:fs";
import { createConnection } from "node:net";

export const print = (value: unknown): void => void writeSync(1, JSON.stringify(value));

export function ask(socket: string, version: string, op: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socket);
    sock.on("error", reject);
    sock.on("connect", () => {
      const hello = { jsonrpc: "2.0", id: 1, method: "hello", params: { version } };
      sock.write(`${JSON.stringify(hello)}\n${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "op", params: op })}\n`);
    });
    let buffered = "";
    sock.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const answer = JSON.parse(buffered.slice(0, nl)) as { id: unknown; result?: unknown; error?: unknown };
        buffered = buffered.slice(nl + 1);
        if (answer.error !== undefined) reject(new Error(JSON.stringify(answer.error)));
        if (answer.id !== 2) continue;
        sock.end();
        resolve(answer.result);
      }
    });
  });
}
