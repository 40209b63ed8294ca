import { ISignal, Signal } from '@lumino/signaling';
import { ISeriesStore } from '../tokens';
import { seriesId } from './seriesId';

/**
 * The metric series store: one sorted, deduplicated series per (run, key).
 *
 * Appends at the end are amortized O(batch); out-of-order batches merge the
 * affected tail only. `changed` is emitted at most once per animation frame
 * per series, with the first index that changed.
 */
export class SeriesStore implements ISeriesStore {
  /**
   * Create a store.
   */
  constructor(options: SeriesStore.IOptions = {}) {
    this._requestFrame = options.requestFrame ?? Private.requestFrame;
    this._cancelFrame = options.cancelFrame ?? Private.cancelFrame;
  }

  /**
   * Emitted at most once per animation frame for each changed series.
   */
  get changed(): ISignal<this, ISeriesStore.IChangedArgs> {
    return this._changed;
  }

  /**
   * Whether the store is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  has(runId: string, key: string): boolean {
    return this._series.has(seriesId(runId, key));
  }

  get(runId: string, key: string): ISeriesStore.ISeries | undefined {
    return this._series.get(seriesId(runId, key));
  }

  keys(runId: string): string[] {
    return Array.from(this._byRun.get(runId) ?? []);
  }

  runs(): string[] {
    return Array.from(this._byRun.keys());
  }

  append(
    runId: string,
    key: string,
    points: ISeriesStore.IPoints,
    options: ISeriesStore.IAppendOptions = {}
  ): void {
    if (this._isDisposed) {
      return;
    }
    const series = this._ensure(runId, key);
    const start = series.merge(points);
    if (options.decimated) {
      series.source = 'decimated';
    }
    if (start >= 0) {
      this._schedule(series, start, false);
    }
  }

  replace(
    runId: string,
    key: string,
    points: ISeriesStore.IPoints,
    source: ISeriesStore.Source = 'exact'
  ): void {
    if (this._isDisposed) {
      return;
    }
    const series = this._ensure(runId, key);
    series.clear();
    series.merge(points);
    series.source = source;
    this._schedule(series, 0, true);
  }

  remove(runId: string, key?: string): void {
    const keys = key === undefined ? this.keys(runId) : [key];
    for (const k of keys) {
      const id = seriesId(runId, k);
      const series = this._series.get(id);
      if (!series) {
        continue;
      }
      this._series.delete(id);
      const runKeys = this._byRun.get(runId);
      runKeys?.delete(k);
      if (runKeys && runKeys.size === 0) {
        this._byRun.delete(runId);
      }
      series.clear();
      this._pending.set(id, { series, start: 0, reset: true, removed: true });
      this._requestEmit();
    }
  }

  /**
   * Emit the pending changes now (tests, or a consumer that cannot wait).
   */
  flush(): void {
    if (this._frame !== null) {
      this._cancelFrame(this._frame);
      this._frame = null;
    }
    this._emit();
  }

  /**
   * Dispose of the store.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._frame !== null) {
      this._cancelFrame(this._frame);
      this._frame = null;
    }
    this._pending.clear();
    this._series.clear();
    this._byRun.clear();
    Signal.clearData(this);
  }

  private _ensure(runId: string, key: string): Private.Series {
    const id = seriesId(runId, key);
    let series = this._series.get(id);
    if (!series) {
      series = new Private.Series(runId, key);
      this._series.set(id, series);
      let runKeys = this._byRun.get(runId);
      if (!runKeys) {
        runKeys = new Set();
        this._byRun.set(runId, runKeys);
      }
      runKeys.add(key);
    }
    return series;
  }

  private _schedule(
    series: Private.Series,
    start: number,
    reset: boolean
  ): void {
    const id = seriesId(series.runId, series.key);
    const pending = this._pending.get(id);
    if (pending && pending.series === series) {
      pending.start = Math.min(pending.start, start);
      pending.reset = pending.reset || reset;
    } else {
      this._pending.set(id, { series, start, reset, removed: false });
    }
    this._requestEmit();
  }

  private _requestEmit(): void {
    if (this._frame === null && !this._isDisposed) {
      this._frame = this._requestFrame(() => {
        this._frame = null;
        this._emit();
      });
    }
  }

  private _emit(): void {
    if (this._isDisposed) {
      return;
    }
    const pending = Array.from(this._pending.values());
    this._pending.clear();
    for (const change of pending) {
      this._changed.emit({
        runId: change.series.runId,
        key: change.series.key,
        start: change.reset ? 0 : change.start,
        end: change.removed ? 0 : change.series.length,
        reset: change.reset,
        removed: change.removed
      });
    }
  }

  private _changed = new Signal<this, ISeriesStore.IChangedArgs>(this);
  private _series = new Map<string, Private.Series>();
  private _byRun = new Map<string, Set<string>>();
  private _pending = new Map<string, Private.IPending>();
  private _frame: number | null = null;
  private _requestFrame: (callback: () => void) => number;
  private _cancelFrame: (handle: number) => void;
  private _isDisposed = false;
}

/**
 * A namespace for `SeriesStore` statics.
 */
export namespace SeriesStore {
  /**
   * The options to create a store.
   */
  export interface IOptions {
    /**
     * Schedules the emission of changes; `requestAnimationFrame` by default
     * (a 16 ms timer where there is none).
     */
    requestFrame?: (callback: () => void) => number;
    /**
     * Cancels a scheduled emission.
     */
    cancelFrame?: (handle: number) => void;
  }
}

namespace Private {
  export function requestFrame(callback: () => void): number {
    if (typeof requestAnimationFrame === 'function') {
      return requestAnimationFrame(() => callback());
    }
    return setTimeout(callback, 16) as unknown as number;
  }

  export function cancelFrame(handle: number): void {
    if (typeof cancelAnimationFrame === 'function') {
      cancelAnimationFrame(handle);
    } else {
      clearTimeout(handle);
    }
  }

  export interface IPending {
    series: Series;
    start: number;
    reset: boolean;
    removed: boolean;
  }

  /**
   * (step, timestamp) order; a negative number when `a` comes first.
   */
  export function compare(
    stepA: number,
    timeA: number,
    stepB: number,
    timeB: number
  ): number {
    if (stepA !== stepB) {
      return stepA < stepB ? -1 : 1;
    }
    if (timeA !== timeB) {
      return timeA < timeB ? -1 : 1;
    }
    return 0;
  }

  /**
   * A growable, sorted series.
   */
  export class Series implements ISeriesStore.ISeries {
    constructor(
      readonly runId: string,
      readonly key: string
    ) {}

    source: ISeriesStore.Source = 'exact';
    version = 0;

    get length(): number {
      return this._length;
    }

    get steps(): Float64Array {
      return this._steps.subarray(0, this._length);
    }

    get timestamps(): Float64Array {
      return this._timestamps.subarray(0, this._length);
    }

    get values(): Float64Array {
      return this._values.subarray(0, this._length);
    }

    clear(): void {
      this._length = 0;
      this.source = 'exact';
      this.version++;
    }

    /**
     * Merge points in; return the first index that changed, or -1.
     */
    merge(points: ISeriesStore.IPoints): number {
      const count = Math.min(
        points.steps.length,
        points.timestamps.length,
        points.values.length
      );
      if (count === 0) {
        return -1;
      }
      const before = this._length;
      const order = sortedOrder(points, count);
      const first = order[0];
      const start = this._lowerBound(
        points.steps[first],
        points.timestamps[first]
      );

      // Fast path: everything goes after the current end.
      if (start === this._length) {
        this._reserve(this._length + count);
        const begin = this._length;
        for (let i = 0; i < count; i++) {
          const j = order[i];
          this._push(points.steps[j], points.timestamps[j], points.values[j]);
        }
        return this._changedFrom(begin, before);
      }

      // Merge the tail [start, length) with the sorted points.
      const tailLength = this._length - start;
      const tailSteps = this._steps.slice(start, this._length);
      const tailTimes = this._timestamps.slice(start, this._length);
      const tailValues = this._values.slice(start, this._length);
      this._length = start;
      this._reserve(start + tailLength + count);
      let a = 0;
      let b = 0;
      while (a < tailLength || b < count) {
        const j = b < count ? order[b] : -1;
        const takeTail =
          b >= count ||
          (a < tailLength &&
            compare(
              tailSteps[a],
              tailTimes[a],
              points.steps[j],
              points.timestamps[j]
            ) <= 0);
        if (takeTail) {
          this._push(tailSteps[a], tailTimes[a], tailValues[a]);
          a++;
        } else {
          this._push(points.steps[j], points.timestamps[j], points.values[j]);
          b++;
        }
      }
      return this._changedFrom(start, before);
    }

    /**
     * Only duplicates were dropped when the length did not change: the
     * merged tail is then identical to the old one.
     */
    private _changedFrom(start: number, before: number): number {
      if (this._length === before) {
        return -1;
      }
      this.version++;
      return start;
    }

    /**
     * Append unless an identical point with the same (step, timestamp) is
     * already at the end.
     */
    private _push(step: number, time: number, value: number): void {
      for (let i = this._length - 1; i >= 0; i--) {
        if (this._steps[i] !== step || this._timestamps[i] !== time) {
          break;
        }
        if (Object.is(this._values[i], value)) {
          return;
        }
      }
      const n = this._length;
      this._steps[n] = step;
      this._timestamps[n] = time;
      this._values[n] = value;
      this._length = n + 1;
    }

    /**
     * The first index whose (step, timestamp) is not before the given one.
     */
    private _lowerBound(step: number, time: number): number {
      let lo = 0;
      let hi = this._length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compare(this._steps[mid], this._timestamps[mid], step, time) < 0) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    private _reserve(capacity: number): void {
      if (capacity <= this._steps.length) {
        return;
      }
      const size = Math.max(capacity, this._steps.length * 2, 64);
      this._steps = grow(this._steps, size, this._length);
      this._timestamps = grow(this._timestamps, size, this._length);
      this._values = grow(this._values, size, this._length);
    }

    private _length = 0;
    private _steps = new Float64Array(0);
    private _timestamps = new Float64Array(0);
    private _values = new Float64Array(0);
  }

  export function grow(
    array: Float64Array,
    size: number,
    used: number
  ): Float64Array {
    const next = new Float64Array(size);
    next.set(array.subarray(0, used));
    return next;
  }

  /**
   * The indices of the points in (step, timestamp) order (stable).
   */
  export function sortedOrder(
    points: ISeriesStore.IPoints,
    count: number
  ): Int32Array {
    const order = new Int32Array(count);
    let sorted = true;
    for (let i = 0; i < count; i++) {
      order[i] = i;
      if (
        sorted &&
        i > 0 &&
        compare(
          points.steps[i - 1],
          points.timestamps[i - 1],
          points.steps[i],
          points.timestamps[i]
        ) > 0
      ) {
        sorted = false;
      }
    }
    if (!sorted) {
      const steps = points.steps;
      const times = points.timestamps;
      const indices = Array.from(order);
      indices.sort(
        (x, y) => compare(steps[x], times[x], steps[y], times[y]) || x - y
      );
      order.set(indices);
    }
    return order;
  }
}
