import { describe, expect, it } from 'vitest';
import { nextRun } from './next-run.js';

describe('nextRun', () => {
  it('gives each caller a run that started after its call; callers during a run share the next one', async () => {
    const runs: (() => void)[] = [];
    const shared = nextRun(() => new Promise<void>((resolve) => runs.push(resolve)));
    const settled: string[] = [];
    const track = (name: string, p: Promise<void>): Promise<void> => p.then(() => void settled.push(name));

    const a = track('a', shared()); // starts run 1
    const b = track('b', shared()); // run 1 began before b: b waits for run 2
    const c = track('c', shared()); // shares run 2 with b
    expect(runs).toHaveLength(1);
    runs[0]!();
    await a;
    await new Promise((r) => setTimeout(r, 0));
    expect(settled).toEqual(['a']);
    expect(runs).toHaveLength(2); // run 2 started once run 1 was done
    const d = track('d', shared()); // run 2 is under way: d gets run 3
    runs[1]!();
    await Promise.all([b, c]);
    expect(settled).toEqual(['a', 'b', 'c']);
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toHaveLength(3);
    runs[2]!();
    await d;
    expect(settled).toEqual(['a', 'b', 'c', 'd']);
    expect(runs).toHaveLength(3);
  });

  it('starts at once when nothing runs, and goes on after a run that failed', async () => {
    let calls = 0;
    const shared = nextRun(async () => {
      calls++;
      if (calls === 1) throw new Error('disk gone');
    });
    await expect(shared()).rejects.toThrow('disk gone');
    await expect(shared()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
