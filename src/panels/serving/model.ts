import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { TracksideModel } from '../../models/tracksideModel';
import { refreshPoll } from '../../models/refreshPoll';
import { errorMessage } from '../../services/errorMessage';
import { IServedModel, IServingService } from '../../tokens';
import { ExampleLoader } from './example';
import { PredictModel } from './predictModel';

/**
 * The served models and the predict form of the one selected. No DOM.
 *
 * It polls `GET serving` while the panel is visible (standing by while it
 * is hidden), every second while a model is starting and every few seconds
 * otherwise. Selecting a served model creates its predict form; selecting
 * another, or disposing, disposes it. A model stopped from here stays
 * listed as stopped (the server forgets it) until the view is closed.
 */
export class ServingModel implements IDisposable {
  /**
   * Create the model; it starts loading at once.
   */
  constructor(options: ServingModel.IOptions) {
    this.connection = options.connection;
    this.service = options.service;
    this._loadExample = options.loadExample;
    this._selectedId = options.selectedId ?? null;
    this._intervals = {
      starting: options.startingInterval ?? ServingModel.STARTING_INTERVAL,
      idle: options.idleInterval ?? ServingModel.IDLE_INTERVAL
    };
    this._poll = new Poll({
      auto: true,
      factory: () => this._fetch(),
      frequency: this._frequency(),
      name: 'jupyterlab-trackside:ServingModel',
      standby: () => !this.connection.isActive || 'when-hidden'
    });
    this.connection.activeChanged.connect(this._onActiveChanged, this);
  }

  /**
   * The connection (service, visibility, navigation).
   */
  readonly connection: TracksideModel;

  /**
   * The serving service.
   */
  readonly service: IServingService;

  /**
   * Emitted when the served models, their error, the selection or a stop
   * in progress change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The served models, newest first; `null` until loaded.
   */
  get served(): ReadonlyArray<IServedModel> | null {
    return this._served;
  }

  /**
   * The error of the last fetch, `null` when it succeeded.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * The id of the selected served model, `null` if none.
   */
  get selectedId(): string | null {
    return this._selectedId;
  }

  /**
   * The selected served model as last fetched.
   */
  get selected(): IServedModel | null {
    return this._served?.find(s => s.id === this._selectedId) ?? null;
  }

  /**
   * The predict form of the selected served model; `null` when none is
   * selected (or it is not listed yet).
   */
  get predictor(): PredictModel | null {
    return this._predictor;
  }

  /**
   * Whether a served model is starting (the poll is faster then).
   */
  get hasStarting(): boolean {
    return this._served?.some(s => s.state === 'starting') ?? false;
  }

  /**
   * The poll's current interval (ms).
   */
  get interval(): number {
    return this._poll.frequency.interval;
  }

  /**
   * Whether a stop of this served model is in flight.
   */
  isStopping(id: string): boolean {
    return this._stopping.has(id);
  }

  /**
   * The error of the last stop of this served model, `null` if none.
   */
  stopError(id: string): string | null {
    return this._stopErrors.get(id) ?? null;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Select a served model for the predict form (`null`: none).
   */
  select(id: string | null): void {
    if (this.isDisposed || id === this._selectedId) {
      return;
    }
    this._selectedId = id;
    this._syncPredictor();
    this._changed.emit(undefined);
  }

  /**
   * Fetch the served models now.
   */
  refresh(): Promise<void> {
    return refreshPoll(this._poll);
  }

  /**
   * Stop a served model, then refresh the list.
   */
  async stop(id: string): Promise<void> {
    if (this.isDisposed || this._stopping.has(id)) {
      return;
    }
    this._stopping.add(id);
    this._stopErrors.delete(id);
    this._changed.emit(undefined);
    try {
      const stopped = await this.service.stop(id);
      if (this.isDisposed) {
        return;
      }
      this._stopped.set(id, stopped);
      this._served = this._withStopped(this._served ?? []);
      this._afterChange();
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      this._stopErrors.set(id, errorMessage(reason));
    }
    this._stopping.delete(id);
    this._changed.emit(undefined);
    await this.refresh();
  }

  /**
   * Dispose the model, its poll and its predict form.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.connection.activeChanged.disconnect(this._onActiveChanged, this);
    this._poll.dispose();
    this._predictor?.dispose();
    this._predictor = null;
    Signal.clearData(this);
  }

  private _onActiveChanged(_: TracksideModel, isActive: boolean): void {
    if (isActive) {
      void this._poll.refresh();
    }
  }

  /**
   * Fetch the served models. Never rejects: a failure keeps the last list
   * and shows its error.
   */
  private async _fetch(): Promise<void> {
    try {
      const served = await this.service.list();
      if (this.isDisposed) {
        return;
      }
      this._served = this._withStopped(served);
      this._error = null;
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      this._error = errorMessage(reason);
    }
    this._afterChange();
  }

  /**
   * The served models the server lists, with those stopped from here that
   * it no longer lists, newest first.
   */
  private _withStopped(served: ReadonlyArray<IServedModel>): IServedModel[] {
    const listed = new Set(served.map(s => s.id));
    const stopped = [...this._stopped.values()].filter(s => !listed.has(s.id));
    return [...served, ...stopped].sort(
      (a, b) => (b.started_at ?? 0) - (a.started_at ?? 0)
    );
  }

  private _afterChange(): void {
    this._syncPredictor();
    const frequency = this._frequency();
    if (frequency.interval !== this._poll.frequency.interval) {
      this._poll.frequency = frequency;
    }
    this._changed.emit(undefined);
  }

  /**
   * Keep one predict form, for the selected served model once listed.
   */
  private _syncPredictor(): void {
    const selected = this.selected;
    if (this._predictor && this._predictor.served.id === selected?.id) {
      return;
    }
    this._predictor?.dispose();
    this._predictor = null;
    if (selected) {
      const loadExample = this._loadExample;
      this._predictor = new PredictModel({
        served: selected,
        service: this.service,
        loadExample: () => loadExample(selected.name, selected.version)
      });
    }
  }

  private _frequency(): IPoll.Frequency {
    return {
      interval: this.hasStarting
        ? this._intervals.starting
        : this._intervals.idle,
      backoff: true,
      max: ServingModel.MAX_BACKOFF
    };
  }

  private _poll: Poll;
  private _loadExample: ExampleLoader;
  private _intervals: { starting: number; idle: number };
  private _isDisposed = false;
  private _served: IServedModel[] | null = null;
  private _error: string | null = null;
  private _selectedId: string | null;
  private _predictor: PredictModel | null = null;
  private _stopping = new Set<string>();
  private _stopped = new Map<string, IServedModel>();
  private _stopErrors = new Map<string, string>();
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `ServingModel` statics.
 */
export namespace ServingModel {
  /**
   * The refresh interval while a served model is starting (ms).
   */
  export const STARTING_INTERVAL = 1000;

  /**
   * The refresh interval otherwise (ms): a served process may die.
   */
  export const IDLE_INTERVAL = 5000;

  /**
   * The longest delay between attempts while the server fails (ms).
   */
  export const MAX_BACKOFF = 60 * 1000;

  /**
   * The options to create the model.
   */
  export interface IOptions {
    connection: TracksideModel;
    service: IServingService;
    /**
     * Reads the example payload of a model version (`exampleLoader`).
     */
    loadExample: ExampleLoader;
    /**
     * The served model selected at first.
     */
    selectedId?: string;
    startingInterval?: number;
    idleInterval?: number;
  }
}
