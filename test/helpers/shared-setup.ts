// What a globalSetup makes once per vitest run, however many projects (test kinds) ask for it:
// each project loads its globalSetup files as modules of its own, so the count of users lives on
// globalThis. The last user's teardown stops it.
interface Entry {
  value: Promise<unknown>;
  users: number;
  stop?: () => void;
}

const entries: Map<string, Entry> = ((globalThis as { __cephRbdTestShared?: Map<string, Entry> }).__cephRbdTestShared ??= new Map());

export async function shared<T>(key: string, start: () => { value: T; stop: () => void }): Promise<{ value: T; release: () => void }> {
  let entry = entries.get(key);
  if (!entry) {
    const made: Entry = { users: 0, value: Promise.resolve() };
    made.value = Promise.resolve().then(() => {
      const { value, stop } = start();
      made.stop = stop;
      return value;
    });
    entries.set(key, made);
    entry = made;
  }
  entry.users++;
  const mine = entry;
  try {
    const value = (await mine.value) as T;
    return { value, release: () => release(key, mine) };
  } catch (e) {
    release(key, mine);
    throw e;
  }
}

function release(key: string, entry: Entry) {
  entry.users--;
  if (entry.users > 0) return;
  entries.delete(key);
  entry.stop?.();
}
