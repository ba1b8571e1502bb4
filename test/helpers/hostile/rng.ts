// The seeded PRNG behind every generated case, so that a failing case names the same stdin on every run.

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  // Per-class cursors: in the default run each class takes a few values per verb, and the
  // cursor carries on across verbs so that every value of the class is used by some verb.
  private readonly cursors = new Map<string, number>();
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.int(16)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${"89ab"[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }
  // n values of xs (four times as many in the full run), round robin per class.
  take<T>(cls: string, xs: readonly T[], n: number, full: boolean): T[] {
    if (full) n *= 4;
    if (n >= xs.length) return [...xs];
    const at = this.cursors.get(cls) ?? 0;
    this.cursors.set(cls, at + n);
    return Array.from({ length: n }, (_, i) => xs[(at + i) % xs.length] as T);
  }
  // A short string from characters that break naive code: shell, quoting, control, unicode.
  nasty(): string {
    const alphabet = [
      ..."$`;|&<>(){}[]*?!~#'\"\\/.-= \t\n\r",
      "\u0000",
      "\u0001",
      "\u001b",
      "\u007f",
      "é",
      "ß",
      "日",
      "🔥",
      "\u202e",
      "\u200b",
      "\u2028",
      "\ufeff",
      "\ud800",
      "a",
      "Z",
      "0",
    ];
    const n = 1 + this.int(40);
    let s = "";
    for (let i = 0; i < n; i++) s += this.pick(alphabet);
    return s;
  }
}
