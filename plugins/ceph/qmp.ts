// A QMP (QEMU Machine Protocol) session with a qemu-storage-daemon over its private monitor
// socket: one JSON command a line, one answer a line, events between them skipped. Every
// command is bounded, so a stalled daemon cannot hold a verb.
import { createConnection, type Socket } from "node:net";

export class QmpError extends Error {}

export interface Qmp {
  run(execute: string, args?: Record<string, unknown>): Promise<unknown>;
}

const QMP_TIMEOUT_MS = 10_000;

export async function withQmp<T>(path: string, fn: (q: Qmp) => Promise<T>, timeoutMs = QMP_TIMEOUT_MS): Promise<T> {
  const sock: Socket = createConnection(path);
  const lines: string[] = [];
  const waiting: ((line: string | Error) => void)[] = [];
  let buf = "";
  let failure: Error | undefined;
  const deliver = (l: string | Error) => {
    const w = waiting.shift();
    if (w) w(l);
    else if (typeof l === "string") lines.push(l);
  };
  sock.setEncoding("utf8");
  sock.on("data", (d: string) => {
    buf += d;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      deliver(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const fail = (e: Error) => {
    failure ??= e;
    while (waiting.length > 0) deliver(failure);
  };
  sock.on("error", fail);
  sock.on("close", () => fail(new QmpError(`the monitor ${path} closed the connection`)));
  const next = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new QmpError(`no answer from the monitor ${path} within ${timeoutMs} ms`)), timeoutMs);
      const take = (l: string | Error) => {
        clearTimeout(timer);
        if (l instanceof Error) reject(l);
        else resolve(JSON.parse(l) as Record<string, unknown>);
      };
      const ready = lines.shift();
      if (ready !== undefined) take(ready);
      else if (failure) take(failure);
      else waiting.push(take);
    });
  const answer = async (): Promise<unknown> => {
    for (;;) {
      const m = await next();
      if ("event" in m) continue;
      if ("error" in m) throw new QmpError((m.error as { desc?: string }).desc ?? JSON.stringify(m.error));
      return m.return;
    }
  };
  const q: Qmp = {
    run: async (execute, args) => {
      sock.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`);
      return answer();
    },
  };
  try {
    await next(); // the greeting
    await q.run("qmp_capabilities");
    return await fn(q);
  } finally {
    sock.destroy();
  }
}
