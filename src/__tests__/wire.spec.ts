/**
 * The Python side's decimation (`trackside/wire.py`, used by the kernel's live
 * stream and the server's metric history) keeps exactly the points that the
 * frontend's decimator keeps, on the same input.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import { decimate } from '../charts/decimate';
import { bucketIndices } from '../wire/buckets';

/**
 * The repository's virtual environment (`scripts/dev setup` creates it).
 */
const PYTHON =
  process.env.TRACKSIDE_PYTHON ??
  path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');

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

interface ICase {
  readonly x: number[];
  readonly y: number[];
  readonly maxPoints: number;
}

/**
 * The indices Python keeps (JSON has no NaN or infinities: they travel as
 * the strings "NaN", "Infinity" and "-Infinity", which Python's float() reads).
 */
function pythonIndices(input: ICase): number[] {
  const toJSON = (values: number[]) =>
    values.map(v => (Number.isFinite(v) ? v : String(v)));
  const result = spawnSync(PYTHON, ['-m', 'trackside.wire'], {
    cwd: path.resolve(__dirname, '..', '..'),
    input: JSON.stringify({
      x: toJSON(input.x),
      y: toJSON(input.y),
      max_points: input.maxPoints
    }),
    encoding: 'utf-8',
    maxBuffer: 64 * 1024 * 1024
  });
  if (result.status !== 0) {
    throw new Error(`python -m trackside.wire failed: ${result.stderr}`);
  }
  return (JSON.parse(result.stdout) as { indices: number[] }).indices;
}

/**
 * The indices the frontend keeps: each point's index rides along as `aux`.
 */
function typescriptIndices(input: ICase): number[] {
  const index = input.x.map((_, i) => i);
  const result = decimate(
    input.x,
    input.y,
    { width: input.maxPoints, pointsPerPixel: 1 },
    index
  );
  return Array.from(result.aux);
}

function walk(n: number, seed: number): ICase['y'] {
  const next = random(seed);
  const y: number[] = [];
  let value = 0;
  for (let i = 0; i < n; i++) {
    value += next() - 0.5;
    y.push(value);
  }
  return y;
}

const cases: Record<string, ICase> = {
  'fits whole, out of order': {
    x: [3, 1, 2, 1, 0],
    y: [0.3, 0.1, 0.2, 0.15, 0],
    maxPoints: 8
  },
  'integer steps with spikes': (() => {
    const y = walk(20_000, 1);
    y[1234] = 100;
    y[9999] = -500;
    return { x: y.map((_, i) => i), y, maxPoints: 400 };
  })(),
  'NaN values and NaN-only buckets': (() => {
    const y = walk(3000, 2).map((v, i) =>
      i % 7 === 0 || (i >= 1000 && i < 1200) ? NaN : v
    );
    return { x: y.map((_, i) => i), y, maxPoints: 100 };
  })(),
  'repeated steps, ties and infinities': (() => {
    const next = random(3);
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 5000; i++) {
      x.push(Math.floor(i / 3));
      y.push(
        i % 11 === 0
          ? Infinity
          : i % 13 === 0
            ? -Infinity
            : Math.round(next() * 4)
      );
    }
    return { x, y, maxPoints: 64 };
  })(),
  'fractional, negative and unsorted steps': (() => {
    const next = random(4);
    const x: number[] = [];
    for (let i = 0; i < 4000; i++) {
      x.push((next() - 0.3) * 0.01);
    }
    x[17] = NaN; // dropped on both sides
    return { x, y: walk(4000, 5), maxPoints: 40 };
  })(),
  'large sparse steps': (() => {
    const x: number[] = [];
    for (let i = 0; i < 2000; i++) {
      x.push(i * i * 1000 + 1_700_000_000_000);
    }
    return { x, y: walk(2000, 6), maxPoints: 10 };
  })()
};

describe('the wire format decimation', () => {
  it.each(Object.keys(cases))(
    'Python keeps the same points as the frontend: %s',
    name => {
      const input = cases[name];
      const expected = typescriptIndices(input);
      expect(pythonIndices(input)).toEqual(expected);
      // The chart's decimator applies the wire rule itself.
      expect(bucketIndices(input.x, input.y, input.maxPoints)).toEqual(
        expected
      );
      expect(expected.length).toBeLessThanOrEqual(Math.max(input.maxPoints, 4));
    }
  );
});
