import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

/**
 * The series store token: every metric point the frontend knows, per
 * (run, key), fed by the kernel stream and the history endpoint.
 */
export const ISeriesStore = new Token<ISeriesStore>(
  'jupyterlab-trackside:ISeriesStore',
  'The shared metric series store (live kernel stream and history backfill), one series per run and metric key'
);

/**
 * The shared metric series store.
 *
 * Points of a series are kept sorted by (step, timestamp); identical
 * (step, timestamp, value) points are stored once.
 */
export interface ISeriesStore extends IDisposable {
  /**
   * Emitted at most once per animation frame for each series that changed.
   */
  readonly changed: ISignal<ISeriesStore, ISeriesStore.IChangedArgs>;

  /**
   * Whether a series exists.
   */
  has(runId: string, key: string): boolean;

  /**
   * A series, or `undefined`. The object is live: it reflects later changes.
   */
  get(runId: string, key: string): ISeriesStore.ISeries | undefined;

  /**
   * The metric keys of a run.
   */
  keys(runId: string): string[];

  /**
   * The runs that have at least one series.
   */
  runs(): string[];

  /**
   * Add points (any order; duplicates are skipped).
   */
  append(
    runId: string,
    key: string,
    points: ISeriesStore.IPoints,
    options?: ISeriesStore.IAppendOptions
  ): void;

  /**
   * Replace all points of a series (a backfill).
   */
  replace(
    runId: string,
    key: string,
    points: ISeriesStore.IPoints,
    source?: ISeriesStore.Source
  ): void;

  /**
   * Remove a series, or every series of a run when `key` is omitted.
   */
  remove(runId: string, key?: string): void;
}

/**
 * A namespace for the series store types.
 */
export namespace ISeriesStore {
  /**
   * Where the points of a series come from: all exact points, or display
   * points decimated by the kernel (first/last/min/max per bucket).
   */
  export type Source = 'exact' | 'decimated';

  /**
   * Points as parallel columns of equal length.
   */
  export interface IPoints {
    readonly steps: ArrayLike<number>;
    readonly timestamps: ArrayLike<number>;
    readonly values: ArrayLike<number>;
  }

  /**
   * Options of an append.
   */
  export interface IAppendOptions {
    /**
     * Whether the points are decimated display points; marks the series
     * `decimated` until its next exact replace.
     */
    decimated?: boolean;
  }

  /**
   * A series: sorted points of one metric key of one run.
   */
  export interface ISeries {
    readonly runId: string;
    readonly key: string;
    readonly length: number;
    /**
     * Views of the first `length` entries; do not keep them across changes.
     */
    readonly steps: Float64Array;
    readonly timestamps: Float64Array;
    readonly values: Float64Array;
    readonly source: Source;
    /**
     * Incremented at every change.
     */
    readonly version: number;
  }

  /**
   * What changed in a series since the previous emission.
   */
  export interface IChangedArgs {
    readonly runId: string;
    readonly key: string;
    /**
     * The first index that changed; entries before it are unchanged.
     */
    readonly start: number;
    /**
     * The length of the series now (the end of the changed range).
     */
    readonly end: number;
    /**
     * Whether the whole series was replaced or removed.
     */
    readonly reset: boolean;
    /**
     * Whether the series was removed.
     */
    readonly removed: boolean;
  }
}

/**
 * The backfill token: the one scheduler that loads series from the history
 * endpoint into the series store (the live stream's convergence and the
 * charts' first load share it, so a series is never fetched twice at once).
 */
export const IBackfill = new Token<IBackfill>(
  'jupyterlab-trackside:IBackfill',
  'Loads metric series from the Arrow history endpoint into the shared series store, one fetch per series at a time'
);

/**
 * Loads series of the shared store from MLflow's history.
 */
export interface IBackfill {
  /**
   * Ask for the history of a series. Requests made while one is pending are
   * merged: the fetch is exact when any of them asks for the exact history,
   * and immediate when any of them is.
   */
  request(
    runId: string,
    key: string,
    options?: IBackfill.IRequestOptions
  ): void;

  /**
   * Whether a backfill is pending or running for a series.
   */
  isPending(runId: string, key: string): boolean;

  /**
   * Whether a kernel's live stream fed points of the run lately: its
   * series then need no history following.
   */
  isStreaming(runId: string): boolean;
}

/**
 * A namespace for the backfill types.
 */
export namespace IBackfill {
  /**
   * Options of a backfill request.
   */
  export interface IRequestOptions {
    /**
     * Fetch at once (a chart that just appeared) rather than once the series
     * has been quiet for a moment (the live stream's convergence).
     */
    immediate?: boolean;
    /**
     * Points per series asked from the server (first/last/min/max per
     * bucket above it); the exact history when omitted.
     */
    maxPoints?: number;
    /**
     * Read only the points from the series' last step on (a run followed
     * without a live stream); at once, exact, merged into what is there.
     * A full request pending meanwhile covers it.
     */
    incremental?: boolean;
  }
}
