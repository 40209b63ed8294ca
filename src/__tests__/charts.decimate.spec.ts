import { decimate, SeriesDecimator } from '../charts/decimate';

/**
 * A deterministic pseudo-random generator (mulberry32).
 */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function series(n: number, seed = 1): { x: Float64Array; y: Float64Array } {
  const next = random(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i;
    y[i] = Math.sin(i / 50) + next() * 0.1;
  }
  return { x, y };
}

/**
 * The reference: bucket the points at a given level directly and keep
 * first/last/min/max (all points of buckets with at most four).
 */
function reference(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  target: number
): { x: number[]; y: number[]; level: number } {
  const points = Array.from(x, (px, i) => ({ x: px, y: y[i], seq: i }));
  const byPos = (
    a: { x: number; seq: number },
    b: { x: number; seq: number }
  ) => a.x - b.x || a.seq - b.seq;
  let level = SeriesDecimator.MIN_LEVEL;
  const span = (l: number) => {
    const idx = points.map(p => Math.floor(p.x / Math.pow(2, l)));
    return Math.max(...idx) - Math.min(...idx) + 1;
  };
  while (span(level) > target) {
    level++;
  }
  const buckets = new Map<number, typeof points>();
  for (const p of points) {
    const i = Math.floor(p.x / Math.pow(2, level));
    buckets.set(i, [...(buckets.get(i) ?? []), p]);
  }
  const out: typeof points = [];
  for (const i of Array.from(buckets.keys()).sort((a, b) => a - b)) {
    const b = buckets.get(i)!.sort(byPos);
    if (b.length <= 4) {
      out.push(...b);
      continue;
    }
    const valid = b.filter(p => !Number.isNaN(p.y));
    const min = valid.reduce((m, p) => (p.y < m.y ? p : m), valid[0]);
    const max = valid.reduce((m, p) => (p.y > m.y ? p : m), valid[0]);
    const kept = new Set([b[0], min, max, b[b.length - 1]]);
    out.push(...Array.from(kept).sort(byPos));
  }
  return { x: out.map(p => p.x), y: out.map(p => p.y), level };
}

describe('SeriesDecimator', () => {
  it('is exact when there are few points', () => {
    const x = [3, 1, 2, 10];
    const y = [0.3, 0.1, 0.2, 1];
    const result = decimate(x, y, { width: 100 });
    expect(Array.from(result.x)).toEqual([1, 2, 3, 10]);
    expect(Array.from(result.y)).toEqual([0.1, 0.2, 0.3, 1]);
    expect(result.decimated).toBe(false);
    expect(result.envelope.x).toEqual([]);
    expect(result.count).toBe(4);
  });

  it('keeps every point up to two per pixel', () => {
    const { x, y } = series(200);
    const result = decimate(x, y, { width: 100 });
    expect(result.decimated).toBe(false);
    expect(Array.from(result.x)).toEqual(Array.from(x));
    expect(Array.from(result.y)).toEqual(Array.from(y));
  });

  it('keeps about two points per pixel for a long series', () => {
    const { x, y } = series(100_000);
    const result = decimate(x, y, { width: 500 });
    expect(result.decimated).toBe(true);
    expect(result.x.length).toBeLessThanOrEqual(2 * 500);
    expect(result.x.length).toBeGreaterThan(500 / 2);
    // In x order, first and last points kept.
    for (let i = 1; i < result.x.length; i++) {
      expect(result.x[i]).toBeGreaterThanOrEqual(result.x[i - 1]);
    }
    expect(result.x[0]).toBe(0);
    expect(result.x[result.x.length - 1]).toBe(99_999);
  });

  it('keeps spikes', () => {
    const { x, y } = series(1_000_000, 7);
    y[123_457] = 1000;
    y[765_433] = -1000;
    const result = decimate(x, y, { width: 300 });
    const ys = Array.from(result.y);
    expect(ys).toContain(1000);
    expect(ys).toContain(-1000);
    expect(Array.from(result.x)).toContain(123_457);
    expect(Array.from(result.x)).toContain(765_433);
  });

  it('equals bucketing from scratch at the final level', () => {
    const next = random(3);
    const n = 5000;
    const x = Float64Array.from(
      { length: n },
      (_, i) =>
        // Unordered, with duplicates and fractional positions.
        Math.floor(next() * 3000) / (i % 3 === 0 ? 4 : 1)
    );
    const y = Float64Array.from({ length: n }, () =>
      next() < 0.01 ? NaN : Math.round(next() * 100)
    );
    const decimator = new SeriesDecimator({ width: 200 });
    decimator.append(x, y);
    const expected = reference(x, y, decimator.targetBuckets);
    const result = decimator.result();
    expect(decimator.level).toBe(expected.level);
    expect(Array.from(result.x)).toEqual(expected.x);
    expect(Array.from(result.y)).toEqual(expected.y);
  });

  it('gives the same result incrementally as from scratch', () => {
    const { x, y } = series(50_000, 11);
    y[40_000] = 99;
    const whole = decimate(x, y, { width: 320 });
    const incremental = new SeriesDecimator({ width: 320 });
    let start = 0;
    const next = random(5);
    while (start < x.length) {
      const end = Math.min(x.length, start + 1 + Math.floor(next() * 700));
      incremental.append(x, y, start, end);
      // Reading the result between appends changes nothing.
      incremental.result();
      start = end;
    }
    const result = incremental.result();
    expect(Array.from(result.x)).toEqual(Array.from(whole.x));
    expect(Array.from(result.y)).toEqual(Array.from(whole.y));
    expect(result.envelope).toEqual(whole.envelope);
  });

  it('touches only the last buckets when appending', () => {
    const { x, y } = series(200_000, 2);
    const decimator = new SeriesDecimator({ width: 400 });
    decimator.append(x, y, 0, 100_000);
    const buckets = decimator.bucketCount;
    expect(buckets).toBeLessThanOrEqual(decimator.targetBuckets);
    decimator.append(x, y, 100_000, 100_010);
    // The bucket count is bounded by the width, not by the history.
    decimator.append(x, y, 100_010, 200_000);
    expect(decimator.bucketCount).toBeLessThanOrEqual(decimator.targetBuckets);
    expect(decimator.count).toBe(200_000);
  });

  it('handles points before the first one and wall-clock timestamps', () => {
    const t0 = 1_700_000_000_000;
    const x = Float64Array.from({ length: 3000 }, (_, i) => t0 + i * 1000);
    const y = Float64Array.from({ length: 3000 }, (_, i) => i % 17);
    const decimator = new SeriesDecimator({ width: 100 });
    decimator.append(x, y, 1500, 3000);
    decimator.append(x, y, 0, 1500);
    const result = decimator.result();
    expect(result.x[0]).toBe(t0);
    expect(result.x[result.x.length - 1]).toBe(t0 + 2999 * 1000);
    expect(Array.from(result.y)).toContain(16);
    expect(Array.from(result.y)).toContain(0);
  });

  it('skips non-finite x and never takes NaN as min or max', () => {
    const x = [0, NaN, 1, 2, 3, 4, 5, Infinity];
    const y = [1, 5, NaN, 2, 3, -1, 4, 9];
    const decimator = new SeriesDecimator({ width: 1 });
    decimator.append(x, y);
    expect(decimator.count).toBe(6);
    const result = decimator.result();
    expect(Array.from(result.y)).toContain(-1);
    expect(Array.from(result.y)).toContain(4);
    expect(result.decimated).toBe(true);
  });

  it('draws a min/max envelope over decimated buckets only', () => {
    const x = Float64Array.from({ length: 2000 }, (_, i) => i);
    const y = Float64Array.from({ length: 2000 }, (_, i) => (i % 2 ? 1 : -1));
    const result = decimate(x, y, { width: 40 });
    expect(result.decimated).toBe(true);
    const ys = result.envelope.y.filter(v => v !== null);
    expect(Math.max(...(ys as number[]))).toBe(1);
    expect(Math.min(...(ys as number[]))).toBe(-1);
    // One closed polygon: the upper path, then the lower path back.
    expect(result.envelope.x[0]).toBe(0);
    expect(result.envelope.x[result.envelope.x.length - 1]).toBe(0);
  });

  it('resets', () => {
    const decimator = new SeriesDecimator({ width: 10 });
    decimator.append([1, 2, 3], [1, 2, 3]);
    decimator.reset();
    expect(decimator.count).toBe(0);
    expect(decimator.result().x.length).toBe(0);
    decimator.append([5], [6]);
    expect(Array.from(decimator.result().x)).toEqual([5]);
  });
});
