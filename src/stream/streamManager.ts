import { ISessionContext } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { IKernelLifecycle, IKernelLifecycles, ISeriesStore } from '../tokens';
import { ISyncStatus } from '../tokens/syncStatus';
import { ArrowBytes, ISeriesBatch } from '../wire/decode';
import { IBackfillRequester, MetricCommChannel } from './commChannel';

/**
 * One metric channel per notebook of a tracker, on the notebook's kernel
 * lifecycle; a channel ends with its lifecycle (the notebook's session).
 */
export class MetricStreamManager implements IDisposable {
  /**
   * Create a manager; notebooks already open get a channel too.
   */
  constructor(options: MetricStreamManager.IOptions) {
    this._options = options;
    options.tracker.forEach(panel => this._add(panel));
    options.tracker.widgetAdded.connect(this._onAdded, this);
  }

  /**
   * Whether the manager is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Dispose of every channel.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._options.tracker.widgetAdded.disconnect(this._onAdded, this);
    for (const [lifecycle, channel] of this._channels) {
      lifecycle.disposed.disconnect(this._onLifecycleDisposed, this);
      channel.dispose();
    }
    this._channels.clear();
  }

  private _onAdded(_: unknown, panel: NotebookPanel): void {
    this._add(panel);
  }

  private _add(panel: {
    sessionContext: ISessionContext;
    title?: { label: string };
  }): void {
    if (this._isDisposed) {
      return;
    }
    const lifecycle = this._options.lifecycles.get(panel.sessionContext);
    if (this._channels.has(lifecycle)) {
      return;
    }
    const channel = new MetricCommChannel({
      lifecycle,
      store: this._options.store,
      backfill: this._options.backfill,
      decode: this._options.decode,
      sync: this._options.sync,
      // The tab's label: the notebook's name as the user sees it.
      label: () =>
        panel.title?.label ||
        PathExt.basename(panel.sessionContext.path) ||
        panel.sessionContext.name
    });
    this._channels.set(lifecycle, channel);
    lifecycle.disposed.connect(this._onLifecycleDisposed, this);
  }

  private _onLifecycleDisposed(lifecycle: IKernelLifecycle): void {
    this._channels.get(lifecycle)?.dispose();
    this._channels.delete(lifecycle);
  }

  private _options: MetricStreamManager.IOptions;
  private _channels = new Map<IKernelLifecycle, MetricCommChannel>();
  private _isDisposed = false;
}

/**
 * A namespace for `MetricStreamManager` statics.
 */
export namespace MetricStreamManager {
  /**
   * The options to create a manager.
   */
  export interface IOptions {
    tracker: Pick<INotebookTracker, 'forEach' | 'widgetAdded'>;
    lifecycles: IKernelLifecycles;
    store: ISeriesStore;
    backfill: IBackfillRequester;
    decode?: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
    /**
     * The sync status the kernels' journal messages feed; none without.
     */
    sync?: ISyncStatus | null;
  }
}
