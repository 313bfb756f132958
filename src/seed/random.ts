/**
 * Seeded randomness of the demo base: a small fast PRNG re-seeded per (seed, customer, stream), and the
 * sampling helpers the lanes draw with. The draw order of every helper is part of the output.
 */

/** murmur3's 32-bit finaliser: spreads neighbouring integers (customer 7, customer 8) over all bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * sfc32 ("Small Fast Chaotic", Chris Doty-Humphrey's PractRand): 128 bits of state, passes BigCrush,
 * a few nanoseconds a draw. One instance per lane is re-seeded for each customer.
 */
export class Random {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;

  /** Seeds from (seed, customer, stream) and runs the 12 warm-up rounds the author recommends. */
  reset(seed: number, customer: number, stream: number): this {
    this.a = fmix32(seed ^ 0x9e3779b9);
    this.b = fmix32(customer + 0x632be5ab);
    this.c = fmix32(Math.imul(stream + 1, 0x85ebca77) ^ seed);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.uint32();
    return this;
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Standard normal (Box-Muller; the second value is dropped to keep the draw count fixed). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }

  /** Draws an index from cumulative weights ending in 1. */
  weighted(cumulative: Float64Array): number {
    const u = this.next();
    let i = 0;
    while (i < cumulative.length - 1 && u >= cumulative[i]) i++;
    return i;
  }
}

/** Cumulative weights for {@link Random.weighted}, the last one exactly 1 whatever the rounding. */
export function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  const total = weights.reduce((s, w) => s + w, 0);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = (sum += w) / total));
  out[out.length - 1] = 1;
  return out;
}

/** Independent streams of one customer: adding draws to one lane never shifts another lane's data. */
export const STREAM = { core: 0, customer: 1, consents: 2, transactions: 3, events: 4 } as const;

/** Ascending uniform draws in [0, 1), reusing one buffer. */
export class SortedUniforms {
  private buffer = new Float64Array(64);

  draw(r: Random, k: number): Float64Array {
    if (this.buffer.length < k) this.buffer = new Float64Array(Math.max(k, this.buffer.length * 2));
    const out = this.buffer.subarray(0, k);
    for (let i = 0; i < k; i++) out[i] = r.next();
    return k > 1 ? out.sort() : out;
  }
}

