import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ITracksideService } from '../../tokens';
import { RunsLoader } from './loader';

/**
 * Looks every `INTERVAL` ms, while the panel is visible, for a run the runs
 * list has not loaded among the newest of the expanded experiments (a run
 * started outside the kernels: `mlflow run`, a script in a terminal, which
 * sends no live points to announce it) and asks for one refresh when it
 * finds one. One small search per look; the full refresh only on news.
 *
 * Each run triggers this once: a run hidden by the experiment's filter
 * stays unknown and must not refresh again and again.
 */
export class NewRunProbe implements IDisposable {
  /**
   * Start probing.
   */
  constructor(options: NewRunProbe.IOptions) {
    this._service = options.service;
    this._experimentIds = options.experimentIds;
    this._isKnown = options.isKnown;
    this._isEnabled = options.isEnabled;
    this._refresh = options.refresh;
    this._poll = new Poll({
      auto: true,
      factory: () => this._look(),
      frequency: {
        interval: options.interval ?? NewRunProbe.INTERVAL,
        backoff: true,
        max: NewRunProbe.MAX_BACKOFF
      },
      name: 'jupyterlab-trackside:NewRunProbe',
      standby: () => !this._isEnabled() || 'when-hidden'
    });
  }

  /**
   * Whether the probe is disposed.
   */
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /**
   * Stop probing.
   */
  dispose(): void {
    this._poll.dispose();
    this._announced.clear();
  }

  /**
   * One look. Rejects on failure, so that the poll backs off (the runs
   * model's own poll reports the error).
   */
  private async _look(): Promise<void> {
    const experimentIds = this._experimentIds();
    if (experimentIds.length === 0) {
      return;
    }
    const page = await this._service.searchRuns({
      experimentIds,
      maxResults: NewRunProbe.NEWEST,
      orderBy: RunsLoader.ORDER_BY
    });
    if (this.isDisposed) {
      return;
    }
    const news = page.runs
      .map(run => run.info.run_id)
      .filter(id => !this._announced.has(id) && !this._isKnown(id));
    if (news.length > 0) {
      news.forEach(id => this._announced.add(id));
      await this._refresh();
    }
  }

  private _service: ITracksideService;
  private _experimentIds: () => string[];
  private _isKnown: (runId: string) => boolean;
  private _isEnabled: () => boolean;
  private _refresh: () => Promise<void>;
  private _poll: Poll;
  private _announced = new Set<string>();
}

/**
 * A namespace for `NewRunProbe` statics.
 */
export namespace NewRunProbe {
  /**
   * How often the newest runs are looked at while the panel is visible (ms).
   */
  export const INTERVAL = 1000;

  /**
   * The longest wait between looks while the backend fails (ms).
   */
  export const MAX_BACKOFF = 30_000;

  /**
   * How many of the newest runs are looked at.
   */
  export const NEWEST = 5;

  /**
   * The options of a probe.
   */
  export interface IOptions {
    service: ITracksideService;
    /**
     * The experiments whose runs are shown (expanded).
     */
    experimentIds: () => string[];
    /**
     * Whether a run is already loaded.
     */
    isKnown: (runId: string) => boolean;
    /**
     * Whether to look now (the panel is visible and refreshes by itself).
     */
    isEnabled: () => boolean;
    refresh: () => Promise<void>;
    /**
     * The interval between looks (ms); `INTERVAL` by default.
     */
    interval?: number;
  }
}
