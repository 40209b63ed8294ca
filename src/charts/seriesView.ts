/**
 * The drawable state of one (run, key) series of the store, kept up to date
 * incrementally. No DOM: tested with jest.
 */
import { ISeriesStore } from '../tokens';
import { IDecimatedSeries, SeriesDecimator } from './decimate';
import { EmaSmoother } from './smoothing';
import { XAxisMode } from './figure';

/**
 * Points of a series as parallel columns.
 */
export interface IColumns {
  readonly steps: ArrayLike<number>;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly length: number;
}

/**
 * The level-of-detail view of one series for one chart.
 *
 * Call `invalidate(start)` with the store's change (`start` is the first
 * changed index), then `sync(series)` before drawing: a change at the tail
 * feeds the new points only; a change before the points already fed (a
 * backfill, an out-of-order point) or a new x axis, width or smoothing
 * rebuilds from the series.
 */
export class SeriesView {
  /**
   * Create the view of a series.
   */
  constructor(options: SeriesView.IOptions) {
    this.runId = options.runId;
    this.key = options.key;
    this.startTime = options.startTime ?? null;
    this._width = options.width ?? SeriesDecimator.DEFAULT_WIDTH;
  }

  readonly runId: string;
  readonly key: string;

  /**
   * The start time of the run (epoch ms), origin of the relative time axis;
   * the first point's timestamp when unknown.
   */
  startTime: number | null;

  /**
   * The number of points fed from the series.
   */
  get consumed(): number {
    return this._consumed;
  }

  /**
   * How many times the view was rebuilt from scratch.
   */
  get rebuilds(): number {
    return this._rebuilds;
  }

  /**
   * Set the display choices; a change rebuilds at the next `sync`.
   */
  configure(options: {
    xAxis: XAxisMode;
    width: number;
    smoothing: number;
  }): void {
    const width = Math.max(1, Math.round(options.width));
    if (
      options.xAxis !== this._xAxis ||
      width !== this._width ||
      options.smoothing !== this._smoothing
    ) {
      this._xAxis = options.xAxis;
      this._width = width;
      this._smoothing = options.smoothing;
      this._dirtyFrom = 0;
    }
  }

  /**
   * Note a change of the series from index `start` on (`0` or a reset
   * rebuilds).
   */
  invalidate(start: number): void {
    this._dirtyFrom = Math.min(this._dirtyFrom, start);
  }

  /**
   * Bring the view up to date with the series (`undefined`: no points).
   */
  sync(series: IColumns | undefined): void {
    const length = series?.length ?? 0;
    if (
      this._raw === null ||
      this._dirtyFrom < this._consumed ||
      length < this._consumed
    ) {
      this._rebuild();
    }
    this._dirtyFrom = Infinity;
    if (!series || length === this._consumed) {
      return;
    }
    this._feed(series, this._consumed, length);
    this._consumed = length;
  }

  /**
   * The decimated raw series, x in display units.
   */
  raw(): IDecimatedSeries {
    return Private.scaled(this._raw!.result(), this._xScale());
  }

  /**
   * The decimated smoothed series, or `null` when smoothing is off.
   */
  smoothed(): IDecimatedSeries | null {
    return this._smooth
      ? Private.scaled(this._smooth.result(), this._xScale())
      : null;
  }

  /**
   * The x values of a series in this view's units (for a zoom window).
   */
  xOf(points: IColumns): Float64Array {
    const out = new Float64Array(points.length);
    const origin = this._origin(points);
    const scale = this._xScale();
    for (let i = 0; i < points.length; i++) {
      out[i] =
        this._xAxis === 'step'
          ? points.steps[i]
          : (points.timestamps[i] - origin) / scale;
    }
    return out;
  }

  private _rebuild(): void {
    this._rebuilds++;
    this._consumed = 0;
    this._relativeOrigin = null;
    this._raw = new SeriesDecimator({ width: this._width });
    this._smooth =
      this._smoothing > 0 ? new SeriesDecimator({ width: this._width }) : null;
    this._smoother =
      this._smoothing > 0 ? new EmaSmoother(this._smoothing) : null;
  }

  private _feed(series: IColumns, start: number, end: number): void {
    // Only the new points are touched: the work does not grow with history.
    const n = end - start;
    const steps = Private.slice(series.steps, start, end);
    const values = Private.slice(series.values, start, end);
    let x: ArrayLike<number>;
    if (this._xAxis === 'step') {
      x = steps;
    } else {
      // Decimate in ms from the origin; scaled to display units on output.
      const origin = this._origin(series);
      const shifted = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        shifted[i] = series.timestamps[start + i] - origin;
      }
      x = shifted;
    }
    this._raw!.append(x, values, 0, n, steps);
    if (this._smooth && this._smoother) {
      const smoothed = new Float64Array(n);
      this._smoother.smooth(values, smoothed, 0, n);
      this._smooth.append(x, smoothed, 0, n, steps);
    }
  }

  /**
   * The origin of the x values fed: 0 for steps, the time zone offset for
   * wall time, the run start for relative time (fixed until the next
   * rebuild).
   */
  private _origin(series: IColumns): number {
    if (this._xAxis === 'step') {
      return 0;
    }
    if (this._relativeOrigin === null) {
      this._relativeOrigin =
        this._xAxis === 'wall'
          ? // Plotly draws epoch ms as UTC: shift to the local wall clock.
            new Date().getTimezoneOffset() * 60 * 1000
          : (this.startTime ?? (series.length > 0 ? series.timestamps[0] : 0));
    }
    return this._relativeOrigin;
  }

  /**
   * Fed x units per display unit: 1000 ms per second on the relative axis.
   */
  private _xScale(): number {
    return this._xAxis === 'relative' ? 1000 : 1;
  }

  private _xAxis: XAxisMode = 'step';
  private _width: number;
  private _smoothing = 0;
  private _raw: SeriesDecimator | null = null;
  private _smooth: SeriesDecimator | null = null;
  private _smoother: EmaSmoother | null = null;
  private _consumed = 0;
  private _dirtyFrom = Infinity;
  private _rebuilds = 0;
  private _relativeOrigin: number | null = null;
}

/**
 * A namespace for `SeriesView` statics.
 */
export namespace SeriesView {
  /**
   * The options to create a series view.
   */
  export interface IOptions {
    runId: string;
    key: string;
    startTime?: number | null;
    width?: number;
  }

  /**
   * The columns of a store series (its live arrays, not copied).
   */
  export function columns(series: ISeriesStore.ISeries): IColumns {
    return series;
  }
}

/**
 * Replace the part of a decimated series inside `[x0, x1]` by the points of
 * a zoom window (fetched at full fidelity).
 */
export function spliceWindow(
  series: IDecimatedSeries,
  window: {
    x0: number;
    x1: number;
    x: Float64Array;
    y: Float64Array;
    aux: Float64Array;
  }
): IDecimatedSeries {
  const xs: number[] = [];
  const ys: number[] = [];
  const as: number[] = [];
  let i = 0;
  for (; i < series.x.length && series.x[i] < window.x0; i++) {
    xs.push(series.x[i]);
    ys.push(series.y[i]);
    as.push(series.aux[i]);
  }
  for (let j = 0; j < window.x.length; j++) {
    xs.push(window.x[j]);
    ys.push(window.y[j]);
    as.push(window.aux[j]);
  }
  for (; i < series.x.length; i++) {
    if (series.x[i] > window.x1) {
      xs.push(series.x[i]);
      ys.push(series.y[i]);
      as.push(series.aux[i]);
    }
  }
  return {
    x: Float64Array.from(xs),
    y: Float64Array.from(ys),
    aux: Float64Array.from(as),
    decimated: series.decimated,
    count: series.count,
    // The envelope is meaningless inside the window (full fidelity there).
    envelope: { x: [], y: [] }
  };
}

namespace Private {
  /**
   * Entries `start..end` of an array, without copying typed arrays.
   */
  export function slice(
    array: ArrayLike<number>,
    start: number,
    end: number
  ): ArrayLike<number> {
    if (array instanceof Float64Array) {
      return array.subarray(start, end);
    }
    return Array.prototype.slice.call(array, start, end) as number[];
  }

  /**
   * A decimated series with its x divided by `scale`.
   */
  export function scaled(
    series: IDecimatedSeries,
    scale: number
  ): IDecimatedSeries {
    if (scale === 1) {
      return series;
    }
    return {
      ...series,
      x: series.x.map(v => v / scale),
      envelope: {
        x: series.envelope.x.map(v => (v === null ? null : v / scale)),
        y: series.envelope.y
      }
    };
  }
}
