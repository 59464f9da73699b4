import type { SimulatedCall } from '../formats/format.js';

// Realistic calls for the simulator and the conformance suite: a seeded generator, so a seed
// always gives the same calls.

/** mulberry32: a small, fast, seedable PRNG. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['ALICE SMITH', 'BOB JONES', 'Zoë Müller', 'José Núñez', 'ACME LTD', 'DR. O\'NEIL', 'Åsa Öberg', ''];
const EXTERNAL = ['02079460123', '07700900123', '4402079460999', '18005550199', '0034912345678', '0611223344', '5551234', '01632960001'];

export interface GenerateOptions {
  count: number;
  seed?: number;
  /** First call's start, epoch ms. */
  startMs?: number;
  /** Average seconds between call starts (default 125: a small office; a busy site is a few seconds). */
  meanGapSeconds?: number;
}

export function generateCalls(options: GenerateOptions): SimulatedCall[] {
  const rand = random(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  let at = options.startMs ?? Date.UTC(2026, 0, 15, 8, 0, 0);
  const calls: SimulatedCall[] = [];
  for (let index = 0; index < options.count; index++) {
    at += 1000 * Math.floor(1 + rand() * 2 * ((options.meanGapSeconds ?? 125) - 0.5));
    const r = rand();
    const direction = r < 0.45 ? 'outbound' : r < 0.85 ? 'inbound' : 'internal';
    const answered = rand() < 0.8;
    calls.push({
      index,
      direction,
      startedAtMs: at,
      ringSeconds: Math.floor(rand() * 30),
      talkSeconds: answered ? 1 + Math.floor(rand() * (rand() < 0.1 ? 3600 : 600)) : 0,
      answered,
      extension: String(200 + Math.floor(rand() * 60)),
      externalNumber: direction === 'internal' ? String(200 + Math.floor(rand() * 60)) : pick(EXTERNAL),
      callerName: pick(NAMES),
      trunk: String(1 + Math.floor(rand() * 8)).padStart(2, '0'),
      accountCode: rand() < 0.2 ? String(1000 + Math.floor(rand() * 9000)) : null,
    });
  }
  return calls;
}
