/**
 * Min/max-preserving level of detail for one metric series, maintained
 * incrementally.
 *
 * The x axis is cut into buckets of width `2^level` on an absolute grid
 * (bucket `i` holds `i * 2^level <= x < (i + 1) * 2^level`). Each bucket keeps
 * its first, last, min and max points (all of its points while it has four or
 * fewer), so spikes survive. The level is the smallest one for which the
 * occupied buckets span at most `targetBuckets`; when new points widen the
 * span beyond that, pairs of buckets merge (`i -> floor(i / 2)`), which gives
 * exactly what bucketing from scratch at the coarser level gives. Appending a
 * point therefore touches one bucket, a merge touches every bucket once
 * (amortized O(1) per point: it happens when the x range doubles), and the
 * output is assembled from at most `targetBuckets` buckets: a frame's work
 * does not grow with the history.
 *
 * No DOM: pure data structures, tested with jest.
 */

/**
 * A decimated series, ready to be drawn.
 */
export interface IDecimatedSeries {
  /**
   * The x values of the kept points, in x order.
   */
  readonly x: Float64Array;
  /**
   * The y values of the kept points.
   */
  readonly y: Float64Array;
  /**
   * The auxiliary value fed with each kept point (e.g. its step when x is
   * a time); NaN when none was fed.
   */
  readonly aux: Float64Array;
  /**
   * Whether points were dropped (some bucket held more than four points).
   */
  readonly decimated: boolean;
  /**
   * The number of points fed (with a finite x).
   */
  readonly count: number;
  /**
   * The min/max envelope over the runs of decimated buckets, as closed
   * polygons separated by `null` (for a Plotly `fill: 'toself'` trace);
   * empty when nothing was decimated.
   */
  readonly envelope: {
    readonly x: ReadonlyArray<number | null>;
    readonly y: ReadonlyArray<number | null>;
  };
}

/**
 * The incremental decimator of one series.
 */
export class SeriesDecimator {
  /**
   * Create a decimator.
   */
  constructor(options: SeriesDecimator.IOptions = {}) {
    this._targetBuckets = SeriesDecimator.targetBuckets(
      options.width ?? SeriesDecimator.DEFAULT_WIDTH,
      options.pointsPerPixel ?? SeriesDecimator.DEFAULT_POINTS_PER_PIXEL
    );
    this._rawLimit = Math.max(
      1,
      Math.round(
        (options.width ?? SeriesDecimator.DEFAULT_WIDTH) *
          (options.pointsPerPixel ?? SeriesDecimator.DEFAULT_POINTS_PER_PIXEL)
      )
    );
  }

  /**
   * The largest number of buckets the series spans.
   */
  get targetBuckets(): number {
    return this._targetBuckets;
  }

  /**
   * The current bucket width is `2^level` x units.
   */
  get level(): number {
    return this._level;
  }

  /**
   * The number of points fed so far (those with a finite x).
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
   * Feed points `start..end` (exclusive) of the given arrays, with an
   * optional auxiliary value per point that is carried along.
   *
   * Points with a non-finite x are skipped; a NaN y is kept (a gap) but
   * never chosen as a bucket's min or max.
   */
  append(
    x: ArrayLike<number>,
    y: ArrayLike<number>,
    start = 0,
    end = Math.min(x.length, y.length),
    aux?: ArrayLike<number>
  ): void {
    for (let i = start; i < end; i++) {
      const px = x[i];
      if (!Number.isFinite(px)) {
        continue;
      }
      this._add(px, y[i], aux ? aux[i] : NaN, this._seq++);
    }
    this._version++;
  }

  /**
   * Forget every point.
   */
  reset(): void {
    this._buckets.clear();
    this._raw = [];
    this._level = SeriesDecimator.MIN_LEVEL;
    this._bucketWidth = Math.pow(2, this._level);
    this._minIndex = Infinity;
    this._maxIndex = -Infinity;
    this._count = 0;
    this._seq = 0;
    this._version++;
    this._cache = null;
  }

  /**
   * The decimated series: every point while there are at most
   * `width * pointsPerPixel` of them, else the kept points of each bucket.
   */
  result(): IDecimatedSeries {
    if (this._cache && this._cache.version === this._version) {
      return this._cache.result;
    }
    const result = this._assemble();
    this._cache = { version: this._version, result };
    return result;
  }

  private _add(x: number, y: number, a: number, seq: number): void {
    this._count++;
    if (this._raw !== null) {
      this._raw.push({ x, y, a, seq });
      if (this._raw.length > this._rawLimit) {
        // Too many points to draw them all: keep the buckets only.
        this._raw = null;
      }
    }
    const index = Math.floor(x / this._bucketWidth);
    const bucket = this._buckets.get(index);
    if (!bucket) {
      this._buckets.set(index, Private.createBucket({ x, y, a, seq }));
    } else {
      Private.addToBucket(bucket, x, y, a, seq);
    }
    if (index < this._minIndex) {
      this._minIndex = index;
    }
    if (index > this._maxIndex) {
      this._maxIndex = index;
    }
    while (this._maxIndex - this._minIndex + 1 > this._targetBuckets) {
      this._coarsen();
    }
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

  private _assemble(): IDecimatedSeries {
    const empty = { x: [], y: [] };
    if (this._raw !== null) {
      const sorted = [...this._raw].sort(Private.byPosition);
      return {
        x: Float64Array.from(sorted, p => p.x),
        y: Float64Array.from(sorted, p => p.y),
        aux: Float64Array.from(sorted, p => p.a),
        decimated: false,
        count: this._count,
        envelope: empty
      };
    }
    const xs: number[] = [];
    const ys: number[] = [];
    const as: number[] = [];
    const upper: Array<[number, number]> = [];
    const lower: Array<[number, number]> = [];
    const envX: Array<number | null> = [];
    const envY: Array<number | null> = [];
    let decimated = false;
    const flush = () => {
      if (upper.length === 0) {
        return;
      }
      if (envX.length > 0) {
        envX.push(null);
        envY.push(null);
      }
      for (const [x, y] of upper) {
        envX.push(x);
        envY.push(y);
      }
      for (let i = lower.length - 1; i >= 0; i--) {
        envX.push(lower[i][0]);
        envY.push(lower[i][1]);
      }
      upper.length = 0;
      lower.length = 0;
    };
    for (let index = this._minIndex; index <= this._maxIndex; index++) {
      const bucket = this._buckets.get(index);
      if (!bucket) {
        flush();
        continue;
      }
      for (const point of Private.keptPoints(bucket)) {
        xs.push(point.x);
        ys.push(point.y);
        as.push(point.a);
      }
      if (bucket.count > Private.RAW_PER_BUCKET && bucket.min && bucket.max) {
        decimated = true;
        upper.push(
          [bucket.first.x, bucket.max.y],
          [bucket.last.x, bucket.max.y]
        );
        lower.push(
          [bucket.first.x, bucket.min.y],
          [bucket.last.x, bucket.min.y]
        );
      } else {
        flush();
      }
    }
    flush();
    return {
      x: Float64Array.from(xs),
      y: Float64Array.from(ys),
      aux: Float64Array.from(as),
      decimated,
      count: this._count,
      envelope: { x: envX, y: envY }
    };
  }

  private _targetBuckets: number;
  private _rawLimit: number;
  private _buckets = new Map<number, Private.IBucket>();
  private _raw: Private.IPoint[] | null = [];
  private _level = SeriesDecimator.MIN_LEVEL;
  private _bucketWidth = Math.pow(2, SeriesDecimator.MIN_LEVEL);
  private _minIndex = Infinity;
  private _maxIndex = -Infinity;
  private _count = 0;
  private _seq = 0;
  private _version = 0;
  private _cache: { version: number; result: IDecimatedSeries } | null = null;
}

/**
 * A namespace for `SeriesDecimator` statics.
 */
export namespace SeriesDecimator {
  /**
   * The options of a decimator.
   */
  export interface IOptions {
    /**
     * The width of the plot area in pixels; default 600.
     */
    width?: number;
    /**
     * About how many points to draw per pixel; default 2.
     */
    pointsPerPixel?: number;
  }

  /**
   * The default plot width in pixels.
   */
  export const DEFAULT_WIDTH = 600;

  /**
   * The default number of points per pixel.
   */
  export const DEFAULT_POINTS_PER_PIXEL = 2;

  /**
   * The finest bucket width is `2^MIN_LEVEL` x units.
   */
  export const MIN_LEVEL = -20;

  /**
   * The number of buckets for a width: each bucket keeps up to four points.
   */
  export function targetBuckets(width: number, pointsPerPixel: number): number {
    return Math.max(1, Math.floor((width * pointsPerPixel) / 4));
  }
}

/**
 * Decimate a whole series at once (the same result as feeding it to a
 * `SeriesDecimator` in one or several appends).
 */
export function decimate(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: SeriesDecimator.IOptions = {},
  aux?: ArrayLike<number>
): IDecimatedSeries {
  const decimator = new SeriesDecimator(options);
  decimator.append(x, y, 0, Math.min(x.length, y.length), aux);
  return decimator.result();
}

/**
 * The debiased exponential moving average of a series (TensorBoard's
 * smoothing), computed incrementally: feed points, read the smoothed values.
 *
 * `weight` is in [0, 1): 0 is no smoothing. NaN values are passed through
 * and do not move the average.
 */
export class EmaSmoother {
  constructor(weight: number) {
    this.weight = Math.min(Math.max(weight, 0), 0.999);
  }

  /**
   * The smoothing weight.
   */
  readonly weight: number;

  /**
   * Smooth values `start..end` into `out` (same indices).
   */
  smooth(
    values: ArrayLike<number>,
    out: Float64Array,
    start = 0,
    end = values.length
  ): void {
    const w = this.weight;
    for (let i = start; i < end; i++) {
      const value = values[i];
      if (!Number.isFinite(value)) {
        out[i] = value;
        continue;
      }
      this._last = this._last * w + (1 - w) * value;
      this._debias = this._debias * w + (1 - w);
      out[i] = this._last / this._debias;
    }
  }

  private _last = 0;
  private _debias = 0;
}

/**
 * Smooth a whole series (pure).
 */
export function emaSmooth(
  values: ArrayLike<number>,
  weight: number
): Float64Array {
  const out = new Float64Array(values.length);
  new EmaSmoother(weight).smooth(values, out);
  return out;
}

namespace Private {
  /**
   * A bucket keeps all its points up to this count.
   */
  export const RAW_PER_BUCKET = 4;

  /**
   * A fed point; `seq` is its arrival order (ties are broken by it).
   */
  export interface IPoint {
    readonly x: number;
    readonly y: number;
    readonly a: number;
    readonly seq: number;
  }

  /**
   * One bucket: its first/last (by x, then arrival) and min/max (by y,
   * ignoring NaN) points, and all of them while there are few.
   */
  export interface IBucket {
    count: number;
    first: IPoint;
    last: IPoint;
    min: IPoint | null;
    max: IPoint | null;
    raw: IPoint[] | null;
  }

  /**
   * Order of points along x (arrival order among equal x).
   */
  export function byPosition(a: IPoint, b: IPoint): number {
    return a.x - b.x || a.seq - b.seq;
  }

  export function isLower(a: IPoint, b: IPoint | null): boolean {
    return b === null || a.y < b.y || (a.y === b.y && byPosition(a, b) < 0);
  }

  export function isHigher(a: IPoint, b: IPoint | null): boolean {
    return b === null || a.y > b.y || (a.y === b.y && byPosition(a, b) < 0);
  }

  export function createBucket(point: IPoint): IBucket {
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
   * Add a point to a bucket; the point object is only created when the
   * bucket keeps it (most points of a long series are not kept).
   */
  export function addToBucket(
    bucket: IBucket,
    x: number,
    y: number,
    a: number,
    seq: number
  ): void {
    bucket.count++;
    // `seq` grows, so a new point is after every equal-x point.
    const isFirst = x < bucket.first.x;
    const isLast = x >= bucket.last.x;
    const valid = !Number.isNaN(y);
    // Equal y: the earlier position wins, which the new point only does
    // when its x is smaller.
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
    const point: IPoint = { x, y, a, seq };
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
      p: IPoint | null,
      q: IPoint | null,
      better: (u: IPoint, v: IPoint | null) => boolean
    ): IPoint | null => (p === null ? q : q !== null && better(q, p) ? q : p);
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

  /**
   * The points drawn for a bucket, in x order, without duplicates.
   */
  export function keptPoints(bucket: IBucket): IPoint[] {
    if (bucket.raw) {
      return [...bucket.raw].sort(byPosition);
    }
    const kept: IPoint[] = [bucket.first];
    for (const point of [bucket.min, bucket.max, bucket.last]) {
      if (point && !kept.includes(point)) {
        kept.push(point);
      }
    }
    return kept.sort(byPosition);
  }
}
