// Writes to stdout and stderr with write(2). On a pipe, as xapi-storage-script gives a verb, the
// first touch of process.stdout or process.stderr builds a stream (net, tty, streams) that costs
// as much as a quarter of a Plugin.Query (measured: a stdin -> JSON -> stdout program, 90 M
// instructions with write(2), 110 M through process.stdout; `node -e 0`: 87 M).
// A descriptor left non-blocking by whoever started us (EAGAIN) is handed to the stream from
// there on, so that nothing is lost or reordered.
import { writeSync } from "node:fs";

const streamed = new Set<number>();
const stream = (fd: 1 | 2) => (fd === 1 ? process.stdout : process.stderr);

const viaStream = (fd: 1 | 2, bytes: Buffer): Promise<void> =>
  new Promise((resolve) => {
    streamed.add(fd);
    stream(fd).write(bytes, () => resolve());
  });

// Resolves once the text is written (or can't be: a reader gone is nobody's to tell).
export function writeStd(fd: 1 | 2, text: string): Promise<void> {
  const bytes = Buffer.from(text, "utf8");
  if (streamed.has(fd)) return viaStream(fd, bytes);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EAGAIN") return viaStream(fd, bytes.subarray(done));
  }
  return Promise.resolve();
}
