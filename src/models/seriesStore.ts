import { ISignal, Signal } from '@lumino/signaling';
import { ISeriesStore } from '../tokens';
import { seriesId } from './seriesId';
import { SortedSeries } from './sortedSeries';

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

  private _ensure(runId: string, key: string): SortedSeries {
    const id = seriesId(runId, key);
    let series = this._series.get(id);
    if (!series) {
      series = new SortedSeries(runId, key);
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

  private _schedule(series: SortedSeries, start: number, reset: boolean): void {
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
  private _series = new Map<string, SortedSeries>();
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
    series: SortedSeries;
    start: number;
    reset: boolean;
    removed: boolean;
  }
}
