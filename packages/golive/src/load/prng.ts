/**
 * A small seedable PRNG (mulberry32) so a scenario's key order and random strings are reproducible from its
 * seed: the same seed gives the same run plan in every worker and on every machine.
 */

/** A function returning uniform floats in [0, 1). */
export type Random = () => number;

/** Hashes a string seed to 32 bits (FNV-1a), so seeds may be words. */
export function seedFrom(seed: string | number): number {
  if (typeof seed === 'number' && Number.isInteger(seed)) return seed >>> 0;
  const s = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: fast, 32-bit state, good enough for shuffling and ids (not for cryptography). */
export function createRandom(seed: string | number): Random {
  let a = seedFrom(seed);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(items: T[] | Uint32Array, random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random string of `length` characters from [a-z0-9]. */
export function randomString(random: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
}
