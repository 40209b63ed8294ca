/**
 * Zooming a metric chart: the visible x range from Plotly's relayout event,
 * the step range it covers, and its points fetched again from the history
 * endpoint at full fidelity (drawn in place of the decimated ones).
 */
import { IDisposable } from '@lumino/disposable';
import { ArrowBytes, ISeriesBatch } from '../wire/decode';
import { ISeriesStore, ITracksideService } from '../tokens';
import { XAxisMode } from './figure';
import { IColumns } from './seriesView';

/**
 * The full-fidelity points of one run inside a zoom window, in display
 * units (x) with their steps (aux).
 */
export interface IZoomWindow {
  readonly x0: number;
  readonly x1: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly aux: Float64Array;
}

/**
 * What a `plotly_relayout` event did to the x axis: zoomed to `[x0, x1]`,
 * reset to the whole range, or nothing.
 */
export function relayoutXRange(
  event: Record<string, unknown>
): { x0: number; x1: number } | 'reset' | null {
  if (event['xaxis.autorange'] === true) {
    return 'reset';
  }
  const range = Array.isArray(event['xaxis.range'])
    ? (event['xaxis.range'] as unknown[])
    : event['xaxis.range[0]'] !== undefined
      ? [event['xaxis.range[0]'], event['xaxis.range[1]']]
      : null;
  if (!range) {
    return null;
  }
  const a = Private.axisValue(range[0]);
  const b = Private.axisValue(range[1]);
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    return null;
  }
  return { x0: Math.min(a, b), x1: Math.max(a, b) };
}

/**
 * One run's known points and how they map to display units.
 */
export interface IZoomRun {
  readonly series: ISeriesStore.ISeries | undefined;
  readonly xOf: (points: IColumns) => Float64Array;
}

/**
 * The step range covering `[x0, x1]`: the range itself on a step axis, else
 * the steps of the known points inside it; `null` when none is.
 */
export function visibleSteps(
  runs: ReadonlyArray<IZoomRun>,
  xAxis: XAxisMode,
  x0: number,
  x1: number
): { startStep: number; endStep: number } | null {
  let startStep = Infinity;
  let endStep = -Infinity;
  for (const { series, xOf } of runs) {
    if (!series) {
      continue;
    }
    if (xAxis === 'step') {
      startStep = Math.floor(x0);
      endStep = Math.ceil(x1);
      break;
    }
    const xs = xOf(series);
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] >= x0 && xs[i] <= x1) {
        startStep = Math.min(startStep, series.steps[i]);
        endStep = Math.max(endStep, series.steps[i]);
      }
    }
  }
  return Number.isFinite(startStep) && Number.isFinite(endStep)
    ? { startStep, endStep }
    : null;
}

/**
 * Fetches zoom windows; a new request or `abort()` cancels the running one.
 */
export class ZoomLoader implements IDisposable {
  /**
   * Create a loader.
   */
  constructor(options: ZoomLoader.IOptions) {
    this._service = options.service;
    this._decode = options.decode;
  }

  /**
   * Whether the loader is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Load the windows of `[x0, x1]` for every run of `xOf`; `null` when the
   * request was cancelled or failed (a failure is logged).
   */
  async load(
    request: ZoomLoader.IRequest
  ): Promise<Map<string, IZoomWindow> | null> {
    this.abort();
    const abort =
      typeof AbortController === 'function' ? new AbortController() : null;
    this._abort = abort;
    const cancelled = () => this._isDisposed || !!abort?.signal.aborted;
    let batches: ISeriesBatch[];
    try {
      const bytes = await this._service.getMetricHistoryArrow({
        runIds: Array.from(request.xOf.keys()),
        keys: [request.key],
        startStep: request.startStep,
        endStep: request.endStep,
        maxPoints: request.maxPoints,
        signal: abort?.signal
      });
      if (cancelled()) {
        return null;
      }
      batches = await this._decode(bytes);
    } catch (reason) {
      if (!cancelled()) {
        console.warn(
          'Trackside: the zoomed range could not be loaded.',
          reason
        );
      }
      return null;
    }
    if (cancelled()) {
      return null;
    }
    const windows = new Map<string, IZoomWindow>();
    for (const batch of batches) {
      const xOf = request.xOf.get(batch.runId);
      if (xOf && batch.key === request.key) {
        windows.set(
          batch.runId,
          Private.window(batch, xOf, request.x0, request.x1)
        );
      }
    }
    return windows;
  }

  /**
   * Cancel the running request, if any.
   */
  abort(): void {
    this._abort?.abort();
    this._abort = null;
  }

  /**
   * Cancel the running request and stop.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.abort();
  }

  private _service: Pick<ITracksideService, 'getMetricHistoryArrow'>;
  private _decode: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
  private _abort: AbortController | null = null;
  private _isDisposed = false;
}

/**
 * A namespace for `ZoomLoader` statics.
 */
export namespace ZoomLoader {
  /**
   * The options to create a loader.
   */
  export interface IOptions {
    service: Pick<ITracksideService, 'getMetricHistoryArrow'>;
    decode: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
  }

  /**
   * A zoom window to load.
   */
  export interface IRequest {
    key: string;
    x0: number;
    x1: number;
    startStep: number;
    endStep: number;
    maxPoints: number;
    /**
     * The display units of each run's points, by run id.
     */
    xOf: ReadonlyMap<string, (points: IColumns) => Float64Array>;
  }
}

namespace Private {
  /**
   * The points of a fetched batch inside `[x0, x1]`.
   */
  export function window(
    batch: ISeriesBatch,
    xOf: (points: IColumns) => Float64Array,
    x0: number,
    x1: number
  ): IZoomWindow {
    const xs = xOf({ ...batch, length: batch.steps.length });
    const keep: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] >= x0 && xs[i] <= x1) {
        keep.push(i);
      }
    }
    const pick = (a: ArrayLike<number>) => Float64Array.from(keep, i => a[i]);
    return {
      x0,
      x1,
      x: pick(xs),
      y: pick(batch.values),
      aux: pick(batch.steps)
    };
  }

  /**
   * A number from a Plotly axis range: a number, or a date string of a date
   * axis (Plotly's dates carry no time zone: read them as UTC).
   */
  export function axisValue(value: unknown): number {
    if (typeof value === 'number') {
      return value;
    }
    if (typeof value === 'string') {
      const asNumber = Number(value);
      if (value.trim() !== '' && Number.isFinite(asNumber)) {
        return asNumber;
      }
      const iso = value.trim().replace(' ', 'T');
      return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    }
    return NaN;
  }
}
