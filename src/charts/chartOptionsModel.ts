import { JSONExt } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { DEFAULT_CHART_OPTIONS, IChartOptions, XAxisMode } from './figure';

/**
 * The display choices of one metric chart (x axis, log scale, smoothing):
 * changed by its toolbar, read by the chart. No DOM.
 */
export class ChartOptionsModel implements IDisposable {
  /**
   * Create a model; missing choices take their defaults.
   */
  constructor(options: Partial<IChartOptions> = {}) {
    this._options = { ...DEFAULT_CHART_OPTIONS, ...options };
  }

  /**
   * Emitted with the new choices when they change.
   */
  get changed(): ISignal<this, IChartOptions> {
    return this._changed;
  }

  /**
   * The current choices.
   */
  get options(): IChartOptions {
    return this._options;
  }
  set options(value: IChartOptions) {
    const next = { ...value };
    if (
      JSONExt.deepEqual(
        next as unknown as Record<string, string | number | boolean>,
        this._options as unknown as Record<string, string | number | boolean>
      )
    ) {
      return;
    }
    this._options = next;
    this._changed.emit(next);
  }

  /**
   * Show steps, wall-clock time or relative time on the x axis.
   */
  setXAxis(xAxis: XAxisMode): void {
    this.options = { ...this._options, xAxis };
  }

  /**
   * Switch the y axis between linear and logarithmic.
   */
  toggleLogY(): void {
    this.options = { ...this._options, logY: !this._options.logY };
  }

  /**
   * Set the smoothing weight (0 draws no smoothed line).
   */
  setSmoothing(smoothing: number): void {
    this.options = { ...this._options, smoothing };
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Dispose the model and disconnect its listeners.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _options: IChartOptions;
  private _changed = new Signal<this, IChartOptions>(this);
  private _isDisposed = false;
}
