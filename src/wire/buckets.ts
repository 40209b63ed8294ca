/**
 * The first/last/min/max bucket rule of the wire format, TypeScript side:
 * what the kernel's live stream and the server's metric history keep when
 * they decimate (`bucket_indices` in `trackside/wire.py`), and what the
 * charts keep on screen (`charts/decimate.ts`). Pure, no DOM.
 */

/**
 * A bucket keeps all of its points up to this many (`RAW_PER_BUCKET` in
 * `wire.py`).
 */
export const RAW_PER_BUCKET = 4;

/**
 * The finest bucket width is `2^MIN_LEVEL` x units (`MIN_LEVEL` in
 * `wire.py`).
 */
export const MIN_LEVEL = -20;

/**
 * A point fed to the bucket rule: `a` is carried along (e.g. the step when
 * x is a time, or the point's index), `seq` is the arrival order.
 */
export interface IWirePoint {
  readonly x: number;
  readonly y: number;
  readonly a: number;
  readonly seq: number;
}

/**
 * One bucket: its first/last (by x, then arrival) and min/max (by y,
 * ignoring NaN) points, and all of them while there are at most
 * `RAW_PER_BUCKET`.
 */
export interface IWireBucket {
  readonly count: number;
  readonly first: IWirePoint;
  readonly last: IWirePoint;
  readonly min: IWirePoint | null;
  readonly max: IWirePoint | null;
  readonly raw: ReadonlyArray<IWirePoint> | null;
}

/**
 * The bucket rule, fed incrementally.
 *
 * A series of at most `maxPoints` points is kept whole. Beyond, the x axis
 * is cut into buckets of width `2^level` on an absolute grid (bucket `i`
 * holds `i * 2^level <= x < (i + 1) * 2^level`), `level` being the smallest
 * from `MIN_LEVEL` for which the occupied buckets span at most
 * `floor(maxPoints / 4)` buckets. A bucket of at most four points keeps them
 * all; a larger one keeps its first, last, min and max points, so spikes
 * survive. When new points widen the span, pairs of buckets merge
 * (`i -> floor(i / 2)`), which gives exactly what bucketing from scratch at
 * the coarser level gives: appending touches one bucket, a merge touches
 * every bucket once (amortized O(1) per point).
 */
export class BucketDecimator {
  /**
   * Create a decimator keeping about `maxPoints` points.
   */
  constructor(maxPoints: number) {
    this.maxPoints = Math.max(1, Math.floor(maxPoints));
    this.targetBuckets = Math.max(
      1,
      Math.floor(this.maxPoints / RAW_PER_BUCKET)
    );
  }

  /**
   * The number of points kept whole.
   */
  readonly maxPoints: number;

  /**
   * The largest number of buckets the series spans.
   */
  readonly targetBuckets: number;

  /**
   * The current bucket width is `2^level` x units.
   */
  get level(): number {
    return this._level;
  }

  /**
   * The number of points fed (those with a finite x).
   */
  get count(): number {
    return this._count;
  }

  /**
   * The number of occupied buckets.
   */
  get bucketCount(): number {
    return this._buckets.size;
  }

  /**
   * Whether every point fed is kept (at most `maxPoints` of them).
   */
  get isWhole(): boolean {
    return this._whole !== null;
  }

  /**
   * Feed one point; a non-finite x is skipped, a NaN y is kept (a gap) but
   * never a bucket's min or max.
   */
  add(x: number, y: number, a = NaN): void {
    if (!Number.isFinite(x)) {
      return;
    }
    const seq = this._seq++;
    this._count++;
    if (this._whole !== null) {
      this._whole.push({ x, y, a, seq });
      if (this._whole.length > this.maxPoints) {
        // Too many points to keep them all: keep the buckets only.
        this._whole = null;
      }
    }
    const index = Math.floor(x / this._bucketWidth);
    const bucket = this._buckets.get(index);
    if (bucket) {
      Private.addToBucket(bucket, x, y, a, seq);
    } else {
      this._buckets.set(index, Private.createBucket({ x, y, a, seq }));
    }
    if (index < this._minIndex) {
      this._minIndex = index;
    }
    if (index > this._maxIndex) {
      this._maxIndex = index;
    }
    while (this._maxIndex - this._minIndex + 1 > this.targetBuckets) {
      this._coarsen();
    }
  }

  /**
   * Forget every point.
   */
  reset(): void {
    this._buckets.clear();
    this._whole = [];
    this._level = MIN_LEVEL;
    this._bucketWidth = Math.pow(2, MIN_LEVEL);
    this._minIndex = Infinity;
    this._maxIndex = -Infinity;
    this._count = 0;
    this._seq = 0;
  }

  /**
   * Every point fed, in x order (arrival order among equal x), while the
   * series is whole; `null` once it is bucketed.
   */
  whole(): IWirePoint[] | null {
    return this._whole ? [...this._whole].sort(Private.byPosition) : null;
  }

  /**
   * The buckets from the lowest to the highest occupied index, `null` for
   * an empty one (a gap).
   */
  *buckets(): IterableIterator<IWireBucket | null> {
    for (let index = this._minIndex; index <= this._maxIndex; index++) {
      yield this._buckets.get(index) ?? null;
    }
  }

  /**
   * The kept points in x order: all of them while the series is whole,
   * else each bucket's kept points.
   */
  kept(): IWirePoint[] {
    const whole = this.whole();
    if (whole) {
      return whole;
    }
    const kept: IWirePoint[] = [];
    for (const bucket of this.buckets()) {
      if (bucket) {
        kept.push(...keptPoints(bucket));
      }
    }
    return kept;
  }

  /**
   * Double the bucket width: merge buckets `2i` and `2i + 1` into `i`.
   */
  private _coarsen(): void {
    const merged = new Map<number, Private.IBucket>();
    // Visit in index order so that merging is deterministic.
    const indices = Array.from(this._buckets.keys()).sort((a, b) => a - b);
    for (const index of indices) {
      const bucket = this._buckets.get(index)!;
      const target = Math.floor(index / 2);
      const existing = merged.get(target);
      merged.set(
        target,
        existing ? Private.mergeBuckets(existing, bucket) : bucket
      );
    }
    this._buckets = merged;
    this._level++;
    this._bucketWidth = Math.pow(2, this._level);
    this._minIndex = Math.floor(this._minIndex / 2);
    this._maxIndex = Math.floor(this._maxIndex / 2);
  }

  private _buckets = new Map<number, Private.IBucket>();
  private _whole: IWirePoint[] | null = [];
  private _level = MIN_LEVEL;
  private _bucketWidth = Math.pow(2, MIN_LEVEL);
  private _minIndex = Infinity;
  private _maxIndex = -Infinity;
  private _count = 0;
  private _seq = 0;
}

/**
 * The points a bucket keeps, in x order, without duplicates.
 */
export function keptPoints(bucket: IWireBucket): IWirePoint[] {
  if (bucket.raw) {
    return [...bucket.raw].sort(Private.byPosition);
  }
  const kept: IWirePoint[] = [bucket.first];
  for (const point of [bucket.min, bucket.max, bucket.last]) {
    if (point && !kept.includes(point)) {
      kept.push(point);
    }
  }
  return kept.sort(Private.byPosition);
}

/**
 * The indices of the points the bucket rule keeps, in x order: the
 * TypeScript twin of `bucket_indices` in `trackside/wire.py` (the
 * cross-language test compares the two).
 *
 * @param x The x values (steps); non-finite ones are dropped.
 * @param y The y values (metric values); NaN is a gap.
 * @param maxPoints The series is kept whole up to this many points.
 */
export function bucketIndices(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  maxPoints: number
): number[] {
  const decimator = new BucketDecimator(maxPoints);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    decimator.add(x[i], y[i], i);
  }
  return decimator.kept().map(point => point.a);
}

namespace Private {
  /**
   * A bucket as the decimator grows it.
   */
  export interface IBucket extends IWireBucket {
    count: number;
    first: IWirePoint;
    last: IWirePoint;
    min: IWirePoint | null;
    max: IWirePoint | null;
    raw: IWirePoint[] | null;
  }

  /**
   * Order of points along x (arrival order among equal x).
   */
  export function byPosition(a: IWirePoint, b: IWirePoint): number {
    return a.x - b.x || a.seq - b.seq;
  }

  /**
   * Whether `a` is a lower minimum than `b` (equal y: the earlier position).
   */
  export function isLower(a: IWirePoint, b: IWirePoint | null): boolean {
    return b === null || a.y < b.y || (a.y === b.y && byPosition(a, b) < 0);
  }

  /**
   * Whether `a` is a higher maximum than `b` (equal y: the earlier position).
   */
  export function isHigher(a: IWirePoint, b: IWirePoint | null): boolean {
    return b === null || a.y > b.y || (a.y === b.y && byPosition(a, b) < 0);
  }

  export function createBucket(point: IWirePoint): IBucket {
    const valid = !Number.isNaN(point.y);
    return {
      count: 1,
      first: point,
      last: point,
      min: valid ? point : null,
      max: valid ? point : null,
      raw: [point]
    };
  }

  /**
   * Add a point to a bucket; `seq` is after every point in it. The point
   * object is only created when the bucket keeps it (most points of a long
   * series are not kept).
   */
  export function addToBucket(
    bucket: IBucket,
    x: number,
    y: number,
    a: number,
    seq: number
  ): void {
    bucket.count++;
    const isFirst = x < bucket.first.x;
    const isLast = x >= bucket.last.x;
    const valid = !Number.isNaN(y);
    // Equal y: the earlier position wins, which the new point (the latest
    // arrival) only does when its x is smaller.
    const isMin =
      valid &&
      (bucket.min === null ||
        y < bucket.min.y ||
        (y === bucket.min.y && x < bucket.min.x));
    const isMax =
      valid &&
      (bucket.max === null ||
        y > bucket.max.y ||
        (y === bucket.max.y && x < bucket.max.x));
    if (!(isFirst || isLast || isMin || isMax || bucket.raw)) {
      return;
    }
    const point: IWirePoint = { x, y, a, seq };
    if (isFirst) {
      bucket.first = point;
    }
    if (isLast) {
      bucket.last = point;
    }
    if (isMin) {
      bucket.min = point;
    }
    if (isMax) {
      bucket.max = point;
    }
    if (bucket.raw) {
      bucket.raw.push(point);
      if (bucket.raw.length > RAW_PER_BUCKET) {
        bucket.raw = null;
      }
    }
  }

  export function mergeBuckets(a: IBucket, b: IBucket): IBucket {
    const pick = (
      p: IWirePoint | null,
      q: IWirePoint | null,
      better: (u: IWirePoint, v: IWirePoint | null) => boolean
    ): IWirePoint | null =>
      p === null ? q : q !== null && better(q, p) ? q : p;
    const count = a.count + b.count;
    return {
      count,
      first: byPosition(b.first, a.first) < 0 ? b.first : a.first,
      last: byPosition(b.last, a.last) > 0 ? b.last : a.last,
      min: pick(a.min, b.min, isLower),
      max: pick(a.max, b.max, isHigher),
      raw:
        a.raw && b.raw && count <= RAW_PER_BUCKET ? [...a.raw, ...b.raw] : null
    };
  }
}
