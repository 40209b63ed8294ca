import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideModel } from '../../models/tracksideModel';
import { errorMessage } from '../../services/errorMessage';
import { IRegisteredModel, IRegistryService } from '../../tokens';
import { SearchFilter } from './searchFilter';

/**
 * The registered models list: a search (plain text or MLflow filter) and
 * the pages of its answer, fetched from the server one page token at a
 * time. No DOM.
 *
 * It refreshes the pages loaded so far while the panel is visible and shows
 * the models, and stands by otherwise. A new search starts from the first
 * page; an answer to an older search is dropped.
 */
export class RegisteredModelsModel implements IDisposable {
  /**
   * Create the model; it fetches its first page once the panel shows the
   * models.
   */
  constructor(options: RegisteredModelsModel.IOptions) {
    this.connection = options.connection;
    this.registry = options.registry;
    this.pageSize = options.pageSize ?? RegisteredModelsModel.PAGE_SIZE;
    this._poll = new Poll({
      auto: true,
      factory: () => this._refresh(),
      frequency: {
        interval: options.refreshInterval ?? RegisteredModelsModel.REFRESH,
        backoff: true,
        max: 5 * 60 * 1000
      },
      name: 'jupyterlab-trackside:RegisteredModelsModel',
      standby: () => !this._isShown() || 'when-hidden'
    });
    this.connection.activeChanged.connect(this._onShownChanged, this);
    this.connection.viewChanged.connect(this._onShownChanged, this);
  }

  /**
   * The connection (visibility, navigation).
   */
  readonly connection: TracksideModel;

  /**
   * The Model Registry service.
   */
  readonly registry: IRegistryService;

  /**
   * The page size of the search.
   */
  readonly pageSize: number;

  /**
   * Emitted when the models, the error or the loading state change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The search box's text.
   */
  get query(): string {
    return this._query;
  }

  /**
   * The MLflow filter sent for the current query, `undefined` for none.
   */
  get filter(): string | undefined {
    return SearchFilter.toMlflow(this._query);
  }

  /**
   * The models loaded so far; `null` before the first answer to the
   * current search.
   */
  get models(): ReadonlyArray<IRegisteredModel> | null {
    return this._models;
  }

  /**
   * Whether more models can be loaded.
   */
  get hasMore(): boolean {
    return this._nextPageToken !== null;
  }

  /**
   * Whether a request is under way.
   */
  get isLoading(): boolean {
    return this._pending > 0;
  }

  /**
   * MLflow's message for the last failed request (e.g. a malformed
   * filter), `null` when it succeeded.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Search for `query`: the first page of the answer replaces the models.
   */
  async search(query: string): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    this._query = query;
    await this._fetchFirst(this.pageSize);
  }

  /**
   * Load the next page of the current search.
   */
  async loadMore(): Promise<void> {
    const token = this._nextPageToken;
    if (this.isDisposed || token === null || this._loadingMore) {
      return;
    }
    const generation = this._generation;
    this._loadingMore = true;
    await this._track(async () => {
      try {
        const page = await this.registry.searchRegisteredModels({
          filter: this.filter,
          maxResults: this.pageSize,
          orderBy: RegisteredModelsModel.ORDER_BY,
          pageToken: token
        });
        if (generation !== this._generation) {
          return;
        }
        this._models = [...(this._models ?? []), ...page.registeredModels];
        this._nextPageToken = page.nextPageToken;
        this._error = null;
      } catch (reason) {
        if (generation === this._generation) {
          this._error = errorMessage(reason);
        }
      } finally {
        this._loadingMore = false;
      }
    });
  }

  /**
   * Fetch the current search again, as many models as are loaded (at
   * least one page) in one request.
   */
  refresh(): Promise<void> {
    return this._refresh();
  }

  /**
   * Whether this Jupyter server lets the user serve models locally.
   */
  get canServe(): boolean {
    return this.connection.status?.capabilities?.serving === true;
  }

  /**
   * Show the locally served models.
   */
  showServing(): void {
    this.connection.showServing();
  }

  /**
   * Dispose the model and stop refreshing.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.connection.activeChanged.disconnect(this._onShownChanged, this);
    this.connection.viewChanged.disconnect(this._onShownChanged, this);
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _isShown(): boolean {
    return this.connection.isActive && this.connection.view.kind === 'models';
  }

  /**
   * Showing the list (the panel, or the models view) refreshes it at once.
   */
  private _onShownChanged(): void {
    if (this._isShown() && !this.isDisposed) {
      void this._poll.refresh();
    }
  }

  private _refresh(): Promise<void> {
    const loaded = this._models?.length ?? 0;
    return this._fetchFirst(
      Math.min(
        Math.max(this.pageSize, loaded),
        RegisteredModelsModel.MAX_PAGE_SIZE
      )
    );
  }

  /**
   * Fetch the first `count` models of the current search; never rejects.
   */
  private async _fetchFirst(count: number): Promise<void> {
    const generation = ++this._generation;
    this._loadingMore = false;
    await this._track(async () => {
      try {
        const page = await this.registry.searchRegisteredModels({
          filter: this.filter,
          maxResults: count,
          orderBy: RegisteredModelsModel.ORDER_BY
        });
        if (generation !== this._generation) {
          return;
        }
        this._models = page.registeredModels;
        this._nextPageToken = page.nextPageToken;
        this._error = null;
      } catch (reason) {
        if (generation !== this._generation) {
          return;
        }
        this._models = this._models === null ? [] : this._models;
        this._error = errorMessage(reason);
      }
    });
  }

  /**
   * Count a request as pending while it runs; emit before and after.
   */
  private async _track(request: () => Promise<void>): Promise<void> {
    this._pending++;
    this._changed.emit(undefined);
    try {
      await request();
    } finally {
      this._pending--;
      if (!this.isDisposed) {
        this._changed.emit(undefined);
      }
    }
  }

  private _poll: Poll;
  private _isDisposed = false;
  private _query = '';
  private _models: ReadonlyArray<IRegisteredModel> | null = null;
  private _nextPageToken: string | null = null;
  private _error: string | null = null;
  private _pending = 0;
  private _loadingMore = false;
  // Bumped by every new first-page fetch; older answers are dropped.
  private _generation = 0;
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `RegisteredModelsModel` statics.
 */
export namespace RegisteredModelsModel {
  /**
   * The models of one page: two or three screens of the sidebar. MLflow's
   * search time grows with the models it returns (it reads every version
   * of each to find the latest), so a small first page draws sooner.
   */
  export const PAGE_SIZE = 50;

  /**
   * MLflow's largest page of registered models.
   */
  export const MAX_PAGE_SIZE = 1000;

  /**
   * How often the list is refreshed while shown (ms).
   */
  export const REFRESH = 30 * 1000;

  /**
   * The order of the list: by name, as MLflow's UI.
   */
  export const ORDER_BY: ReadonlyArray<string> = ['name ASC'];

  /**
   * The options to create the model.
   */
  export interface IOptions {
    connection: TracksideModel;
    registry: IRegistryService;
    pageSize?: number;
    refreshInterval?: number;
  }
}
