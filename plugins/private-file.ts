// Files this user alone may have written, in a private directory (run-dir.ts): pid files name
// processes to signal, the code cache is code to run. Opened without following a link and judged
// on the descriptor itself (no race between the look and the read); written whole under a
// temporary name and renamed, so a reader sees the old file or the new one and a link planted at
// either name is replaced, never written through.
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";

// Why the open file cannot be trusted, or undefined when it can: a regular file of this user,
// open to nobody else, with no other name (a hard link made elsewhere would let its maker
// read or change what we read).
function untrusted(fd: number): string | undefined {
  const st = fstatSync(fd);
  if (!st.isFile()) return "not a regular file";
  if (st.uid !== process.geteuid?.()) return `owned by uid ${st.uid}`;
  if ((st.mode & 0o077) !== 0) return `open to other users (mode ${(st.mode & 0o777).toString(8)})`;
  if (st.nlink !== 1) return `${st.nlink} links`;
  return undefined;
}

export type PrivateRead = { readonly data: Buffer } | { readonly absent: true } | { readonly rejected: string };

// A link (ELOOP under O_NOFOLLOW) or a file failing the checks is rejected; a missing file is absent.
export function readPrivateFile(path: string): PrivateRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? { absent: true } : { rejected: code === "ELOOP" ? "a symbolic link" : (e as Error).message };
  }
  try {
    const problem = untrusted(fd);
    return problem === undefined ? { data: readFileSync(fd) } : { rejected: problem };
  } catch (e) {
    return { rejected: (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

// Mode 0600. A temporary file left by a dead process of the same pid is replaced.
export function writePrivateFile(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
