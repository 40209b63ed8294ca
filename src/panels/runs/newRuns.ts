import { IDisposable } from '@lumino/disposable';
import { Debouncer } from '@lumino/polling';
import { ISeriesStore } from '../../tokens';

/**
 * Watches the live series store for runs the runs list has not loaded (a
 * run just started in the kernel) and asks for one refresh per burst, so a
 * new run shows up without waiting for the next poll.
 *
 * Each run triggers this once: a run of a collapsed experiment stays
 * unknown, and its later points must not refresh again and again.
 */
export class NewRunWatcher implements IDisposable {
  /**
   * Start watching a store.
   */
  constructor(options: NewRunWatcher.IOptions) {
    this._store = options.store;
    this._isKnown = options.isKnown;
    this._isEnabled = options.isEnabled;
    // Points come in bursts (up to ~20 messages/s): one refresh for a burst.
    this._refresh = new Debouncer(options.refresh, NewRunWatcher.DELAY);
    this._store.changed.connect(this._onSeriesChanged, this);
  }

  /**
   * Whether the watcher is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop watching.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._store.changed.disconnect(this._onSeriesChanged, this);
    this._refresh.dispose();
    this._announced.clear();
  }

  private _onSeriesChanged(
    _: ISeriesStore,
    change: ISeriesStore.IChangedArgs
  ): void {
    const { runId } = change;
    if (this._announced.has(runId) || this._isKnown(runId)) {
      return;
    }
    this._announced.add(runId);
    if (this._isEnabled()) {
      void this._refresh.invoke();
    }
  }

  private _store: ISeriesStore;
  private _isKnown: (runId: string) => boolean;
  private _isEnabled: () => boolean;
  private _refresh: Debouncer;
  private _announced = new Set<string>();
  private _isDisposed = false;
}

/**
 * A namespace for `NewRunWatcher` statics.
 */
export namespace NewRunWatcher {
  /**
   * How long a burst of points is waited for before refreshing (ms).
   */
  export const DELAY = 200;

  /**
   * The options of a watcher.
   */
  export interface IOptions {
    store: ISeriesStore;
    /**
     * Whether a run is already loaded.
     */
    isKnown: (runId: string) => boolean;
    /**
     * Whether to refresh now (the panel is visible).
     */
    isEnabled: () => boolean;
    refresh: () => Promise<void>;
  }
}
