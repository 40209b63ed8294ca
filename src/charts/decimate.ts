import {
  BucketDecimator,
  IWirePoint,
  MIN_LEVEL as WIRE_MIN_LEVEL,
  RAW_PER_BUCKET
} from '../wire/buckets';

/**
 * Min/max-preserving level of detail for one metric series, maintained
 * incrementally: the wire's bucket rule (`BucketDecimator` in `wire.ts`,
 * the same as the kernel's and the server's) with the plot width as its
 * point budget, plus what a chart draws from it (the min/max envelope of
 * the decimated buckets). The output is assembled from at most
 * `targetBuckets` buckets: a frame's work does not grow with the history.
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
    const width = options.width ?? SeriesDecimator.DEFAULT_WIDTH;
    const perPixel =
      options.pointsPerPixel ?? SeriesDecimator.DEFAULT_POINTS_PER_PIXEL;
    this._buckets = new BucketDecimator(
      Math.max(1, Math.round(width * perPixel))
    );
  }

  /**
   * The largest number of buckets the series spans.
   */
  get targetBuckets(): number {
    return this._buckets.targetBuckets;
  }

  /**
   * The current bucket width is `2^level` x units.
   */
  get level(): number {
    return this._buckets.level;
  }

  /**
   * The number of points fed so far (those with a finite x).
   */
  get count(): number {
    return this._buckets.count;
  }

  /**
   * The number of occupied buckets.
   */
  get bucketCount(): number {
    return this._buckets.bucketCount;
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
      this._buckets.add(x[i], y[i], aux ? aux[i] : NaN);
    }
    this._cache = null;
  }

  /**
   * Forget every point.
   */
  reset(): void {
    this._buckets.reset();
    this._cache = null;
  }

  /**
   * The decimated series: every point while there are at most
   * `width * pointsPerPixel` of them, else the kept points of each bucket.
   */
  result(): IDecimatedSeries {
    if (!this._cache) {
      this._cache = this._assemble();
    }
    return this._cache;
  }

  private _assemble(): IDecimatedSeries {
    const kept = this._buckets.kept();
    const result = {
      x: Float64Array.from(kept, p => p.x),
      y: Float64Array.from(kept, p => p.y),
      aux: Float64Array.from(kept, p => p.a),
      count: this._buckets.count
    };
    if (this._buckets.isWhole) {
      return { ...result, decimated: false, envelope: { x: [], y: [] } };
    }
    const envelope = Private.envelope(this._buckets);
    return { ...result, decimated: envelope.x.length > 0, envelope };
  }

  private _buckets: BucketDecimator;
  private _cache: IDecimatedSeries | null = null;
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
  export const MIN_LEVEL = WIRE_MIN_LEVEL;

  /**
   * The number of buckets for a width: each bucket keeps up to four points.
   */
  export function targetBuckets(width: number, pointsPerPixel: number): number {
    return Math.max(1, Math.floor((width * pointsPerPixel) / RAW_PER_BUCKET));
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

namespace Private {
  /**
   * The min/max envelope over each run of consecutive decimated buckets:
   * closed polygons (upper edge forward, lower edge back) separated by
   * `null`.
   */
  export function envelope(buckets: BucketDecimator): {
    x: Array<number | null>;
    y: Array<number | null>;
  } {
    const x: Array<number | null> = [];
    const y: Array<number | null> = [];
    let upper: IWirePoint[][] = [];
    const flush = () => {
      if (upper.length === 0) {
        return;
      }
      if (x.length > 0) {
        x.push(null);
        y.push(null);
      }
      for (const [first, last, max] of upper) {
        x.push(first.x, last.x);
        y.push(max.y, max.y);
      }
      for (let i = upper.length - 1; i >= 0; i--) {
        const [first, last, , min] = upper[i];
        x.push(last.x, first.x);
        y.push(min.y, min.y);
      }
      upper = [];
    };
    for (const bucket of buckets.buckets()) {
      if (bucket && bucket.count > RAW_PER_BUCKET && bucket.min && bucket.max) {
        upper.push([bucket.first, bucket.last, bucket.max, bucket.min]);
      } else {
        flush();
      }
    }
    flush();
    return { x, y };
  }
}
