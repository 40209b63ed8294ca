import { IDisposable } from '@lumino/disposable';
import { seriesId } from '../models/seriesId';
import { IBackfill, ISeriesStore, ITracksideService } from '../tokens';
import {
  ArrowBytes,
  decodeMetricStream,
  ISeriesBatch,
  loadArrow
} from '../wire/decode';

/**
 * Makes series of the store converge to what MLflow holds.
 *
 * The live stream requests a series after a `seq` gap, a comm (re)open or a
 * decimated message: that fetch waits until the series has been quiet for
 * `debounce` ms (the run stopped sending: final convergence), but no longer
 * than `maxWait` ms while it keeps streaming. A chart that appears requests
 * an immediate, downsampled load. A run followed without a live stream asks
 * for incremental reads: the points from the series' last step on, merged
 * in (the store drops the overlap). At most one fetch runs per series;
 * requests made meanwhile are merged into one more fetch after it.
 */
export class BackfillScheduler implements IBackfill, IDisposable {
  /**
   * Create a scheduler.
   */
  constructor(options: BackfillScheduler.IOptions) {
    this._store = options.store;
    this._client = options.client;
    this._debounce = options.debounce ?? 250;
    this._maxWait = options.maxWait ?? 5000;
    this._liveWindow = options.liveWindow ?? 5000;
    this._decode = options.decode ?? decodeMetricStream;
  }

  /**
   * Whether the scheduler is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Ask for a backfill of a series (see `IBackfill.request`).
   */
  request(
    runId: string,
    key: string,
    options: IBackfill.IRequestOptions = {}
  ): void {
    if (this._isDisposed) {
      return;
    }
    const state = this._state(runId, key);
    if (!state.dirty) {
      state.dirty = true;
      state.dirtySince = Date.now();
      state.wanted = { exact: false, maxPoints: 0, immediate: false };
    }
    const wanted = state.wanted;
    if (options.incremental) {
      // Neither exact nor downsampled: incremental, unless a full one is wanted.
      wanted.immediate = wanted.immediate || Private.isIncremental(wanted);
    } else if (options.maxPoints === undefined) {
      wanted.exact = true;
    } else {
      wanted.maxPoints = Math.max(wanted.maxPoints, options.maxPoints);
    }
    wanted.immediate = wanted.immediate || options.immediate === true;
    this._schedule(state);
  }

  /**
   * Whether live points of the run arrived in the last `liveWindow` ms.
   */
  isStreaming(runId: string): boolean {
    const last = this._streamed.get(runId);
    return last !== undefined && Date.now() - last < this._liveWindow;
  }

  /**
   * Live points arrived for a series: a pending backfill waits for quiet.
   */
  noteActivity(runId: string, key: string, decimated = false): void {
    this._streamed.set(runId, Date.now());
    const state = this._states.get(seriesId(runId, key));
    if (!state) {
      return;
    }
    state.lastActivity = Date.now();
    if (state.inFlight && decimated) {
      state.decimatedDuringFetch = true;
    }
    if (state.dirty) {
      this._schedule(state);
    }
  }

  /**
   * Whether a backfill is pending or running for a series.
   */
  isPending(runId: string, key: string): boolean {
    const state = this._states.get(seriesId(runId, key));
    return !!state && (state.dirty || state.inFlight !== null);
  }

  /**
   * Settle once nothing is pending or running (tests).
   */
  async idle(): Promise<void> {
    for (;;) {
      const running = Array.from(this._states.values())
        .map(s => s.inFlight)
        .filter((p): p is Promise<void> => p !== null);
      if (running.length === 0) {
        return;
      }
      await Promise.all(running);
    }
  }

  /**
   * Dispose of the scheduler; running fetches are aborted.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const state of this._states.values()) {
      if (state.timer !== null) {
        clearTimeout(state.timer);
      }
      state.abort?.abort();
    }
    this._states.clear();
    this._streamed.clear();
  }

  private _state(runId: string, key: string): Private.IState {
    const id = seriesId(runId, key);
    let state = this._states.get(id);
    if (!state) {
      state = {
        runId,
        key,
        dirty: false,
        dirtySince: 0,
        wanted: { exact: false, maxPoints: 0, immediate: false },
        lastActivity: 0,
        timer: null,
        inFlight: null,
        abort: null,
        decimatedDuringFetch: false,
        retries: 0,
        notBefore: 0
      };
      this._states.set(id, state);
    }
    return state;
  }

  private _schedule(state: Private.IState): void {
    if (state.inFlight) {
      return; // rescheduled when the running fetch ends
    }
    if (state.timer !== null) {
      clearTimeout(state.timer);
    }
    const untilDeadline = state.dirtySince + this._maxWait - Date.now();
    const delay = state.wanted.immediate
      ? 0
      : Math.max(
          0,
          Math.min(this._debounce, untilDeadline),
          state.notBefore - Date.now()
        );
    state.timer = setTimeout(() => {
      state.timer = null;
      void this._run(state);
    }, delay);
  }

  private async _run(state: Private.IState): Promise<void> {
    if (this._isDisposed || !state.dirty || state.inFlight) {
      return;
    }
    state.dirty = false;
    state.decimatedDuringFetch = false;
    const { exact, maxPoints } = state.wanted;
    const abort =
      typeof AbortController === 'function' ? new AbortController() : null;
    state.abort = abort;
    const fetchDone = Private.isIncremental(state.wanted)
      ? this._fetchIncremental(state, abort?.signal)
      : this._fetch(state, exact ? undefined : maxPoints, abort?.signal);
    state.inFlight = fetchDone;
    try {
      await fetchDone;
    } finally {
      state.inFlight = null;
      state.abort = null;
    }
    if (!this._isDisposed && state.dirty) {
      this._schedule(state);
    }
  }

  /**
   * Read the series' history; `null` when it has no points in range,
   * `undefined` when the read failed (or the scheduler was disposed).
   */
  private async _read(
    state: Private.IState,
    range: { maxPoints?: number; startStep?: number },
    signal: AbortSignal | undefined
  ): Promise<ISeriesBatch | null | undefined> {
    if (this._decode === decodeMetricStream) {
      // The first chart of a page: load the decoder while the history comes.
      void loadArrow().catch(() => undefined);
    }
    try {
      const bytes: ArrowBytes = await this._client.getMetricHistoryArrow({
        runIds: [state.runId],
        keys: [state.key],
        ...range,
        signal
      });
      if (this._isDisposed) {
        return undefined;
      }
      const batches = await this._decode(bytes);
      if (this._isDisposed) {
        return undefined;
      }
      return (
        batches.find(b => b.runId === state.runId && b.key === state.key) ??
        null
      );
    } catch (reason) {
      if (!this._isDisposed && !signal?.aborted) {
        console.warn(
          `Trackside: backfill of ${state.key} failed; the live points are kept.`,
          reason
        );
      }
      return undefined;
    }
  }

  /**
   * Read the points from the series' last step on (inclusive: the points
   * MLflow got at that step since) and merge them in; the store drops the
   * ones it already holds.
   */
  private async _fetchIncremental(
    state: Private.IState,
    signal: AbortSignal | undefined
  ): Promise<void> {
    const current = this._store.get(state.runId, state.key);
    const startStep =
      current && current.length > 0
        ? current.steps[current.length - 1]
        : undefined;
    const history = await this._read(state, { startStep }, signal);
    if (history) {
      this._store.append(state.runId, state.key, history);
    }
  }

  private async _fetch(
    state: Private.IState,
    maxPoints: number | undefined,
    signal: AbortSignal | undefined
  ): Promise<void> {
    const read = await this._read(state, { maxPoints }, signal);
    if (read === undefined) {
      return;
    }
    const history = read ?? undefined;
    const empty = {
      steps: new Float64Array(0),
      timestamps: new Float64Array(0),
      values: new Float64Array(0)
    };
    // Union of MLflow's history and the points already here: every streamed
    // point (decimated ones included) is a real point, and MLflow may lag the
    // stream (the exact points are sent asynchronously).
    const current = this._store.get(state.runId, state.key);
    const kept = current
      ? {
          steps: current.steps.slice(),
          timestamps: current.timestamps.slice(),
          values: current.values.slice()
        }
      : empty;
    const exact = maxPoints === undefined && !state.decimatedDuringFetch;
    this._store.replace(
      state.runId,
      state.key,
      history ?? empty,
      exact ? 'exact' : 'decimated'
    );
    this._store.append(state.runId, state.key, kept);
    if (history && kept.steps.length > 0) {
      const extra =
        (this._store.get(state.runId, state.key)?.length ?? 0) -
        history.steps.length;
      if (extra > 0 && state.retries < Private.MAX_RETRIES) {
        // Points not in MLflow yet: look again once it has caught up.
        state.retries++;
        state.dirty = true;
        state.dirtySince = Date.now();
        state.wanted = {
          exact: maxPoints === undefined,
          maxPoints: maxPoints ?? 0,
          immediate: false
        };
        state.notBefore = Date.now() + Private.RETRY_DELAY * 2 ** state.retries;
        return;
      }
    }
    state.retries = 0;
    state.notBefore = 0;
  }

  private _store: ISeriesStore;
  private _client: Pick<ITracksideService, 'getMetricHistoryArrow'>;
  private _debounce: number;
  private _maxWait: number;
  private _liveWindow: number;
  // When live points of each run last arrived (ms since epoch).
  private _streamed = new Map<string, number>();
  private _decode: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
  private _states = new Map<string, Private.IState>();
  private _isDisposed = false;
}

/**
 * A namespace for `BackfillScheduler` statics.
 */
export namespace BackfillScheduler {
  /**
   * The options to create a scheduler.
   */
  export interface IOptions {
    store: ISeriesStore;
    client: Pick<ITracksideService, 'getMetricHistoryArrow'>;
    /**
     * Quiet time before a fetch, in ms (250 by default).
     */
    debounce?: number;
    /**
     * Longest wait for quiet while a series keeps streaming, in ms (5000).
     */
    maxWait?: number;
    /**
     * How long a run counts as streaming after its last live points, in ms
     * (5000).
     */
    liveWindow?: number;
    /**
     * The Arrow decoder (the lazy `apache-arrow` one by default).
     */
    decode?: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
  }
}

namespace Private {
  export const MAX_RETRIES = 3;
  export const RETRY_DELAY = 500;

  /**
   * Neither the exact nor a downsampled history was asked for.
   */
  export function isIncremental(wanted: IWanted): boolean {
    return !wanted.exact && wanted.maxPoints === 0;
  }

  export interface IWanted {
    exact: boolean;
    maxPoints: number;
    immediate: boolean;
  }

  export interface IState {
    runId: string;
    key: string;
    dirty: boolean;
    dirtySince: number;
    /**
     * What the pending requests asked for, merged.
     */
    wanted: IWanted;
    lastActivity: number;
    timer: ReturnType<typeof setTimeout> | null;
    inFlight: Promise<void> | null;
    abort: AbortController | null;
    decimatedDuringFetch: boolean;
    retries: number;
    notBefore: number;
  }
}
