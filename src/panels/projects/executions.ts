import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { refreshPoll } from '../../models/refreshPoll';
import { errorMessage } from '../../services/errorMessage';
import { IProjectExecution, IProjectsClient } from '../../tokens';
import { ExecutionOutput } from './output';

/**
 * The executions of one project, as the server lists them (so they survive
 * a page reload and a Jupyter restart), and the output of the selected one.
 * No DOM.
 *
 * It polls `GET executions` every second while one of them is queued or
 * running and every few seconds otherwise, standing by while the view is
 * hidden. Until the user picks one, the newest is selected.
 */
export class ExecutionsModel implements IDisposable {
  /**
   * Create the model; it starts loading at once.
   */
  constructor(options: ExecutionsModel.IOptions) {
    this.client = options.client;
    this.path = ExecutionsModel.normalizePath(options.path);
    this._isVisible = options.isVisible ?? (() => true);
    this._intervals = {
      active: options.activeInterval ?? ExecutionsModel.ACTIVE_INTERVAL,
      idle: options.idleInterval ?? ExecutionsModel.IDLE_INTERVAL
    };
    this._createOutput =
      options.createOutput ??
      (id => new ExecutionOutput({ client: this.client, id }));
    this._poll = new Poll({
      auto: true,
      factory: () => this._fetch(),
      frequency: this._frequency(),
      name: 'jupyterlab-trackside:ExecutionsModel',
      standby: () => !this._isVisible() || 'when-hidden'
    });
  }

  readonly client: IProjectsClient;

  /**
   * The project directory, relative to the Jupyter root (`.` for the root).
   */
  readonly path: string;

  /**
   * Emitted when the executions, the selection, a stop or an error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * This project's executions, newest first; `null` until loaded.
   */
  get executions(): ReadonlyArray<IProjectExecution> | null {
    return this._executions;
  }

  /**
   * The error of the last fetch, `null` when it succeeded.
   */
  get error(): string | null {
    return this._error;
  }

  get selectedId(): string | null {
    return this._selectedId;
  }

  get selected(): IProjectExecution | null {
    return this._executions?.find(e => e.id === this._selectedId) ?? null;
  }

  /**
   * The output of the selected execution.
   */
  get output(): ExecutionOutput | null {
    return this._output;
  }

  /**
   * Whether an execution is queued or running (the poll is faster then).
   */
  get hasActive(): boolean {
    return this._executions?.some(e => ExecutionsModel.isActive(e)) ?? false;
  }

  /**
   * The poll's current interval (ms).
   */
  get interval(): number {
    return this._poll.frequency.interval;
  }

  isStopping(id: string): boolean {
    return this._stopping.has(id);
  }

  stopError(id: string): string | null {
    return this._stopErrors.get(id) ?? null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Select an execution: its output is read from the start.
   */
  select(id: string | null): void {
    if (this._isDisposed || id === this._selectedId) {
      return;
    }
    this._userSelected = true;
    this._selectedId = id;
    this._syncOutput();
    this._changed.emit(undefined);
  }

  /**
   * Add an execution just started from here, select it, and poll faster.
   */
  add(execution: IProjectExecution): void {
    if (this._isDisposed) {
      return;
    }
    const others = (this._executions ?? []).filter(e => e.id !== execution.id);
    this._executions = [execution, ...others];
    this._userSelected = true;
    this._selectedId = execution.id;
    this._afterChange();
  }

  /**
   * Fetch the executions now.
   */
  refresh(): Promise<void> {
    return refreshPoll(this._poll);
  }

  /**
   * The view was shown or hidden: refresh when shown.
   */
  visibilityChanged(): void {
    if (!this._isDisposed && this._isVisible()) {
      void this._poll.refresh();
    }
  }

  /**
   * Stop an execution (or take it off the queue), then refresh.
   */
  async stop(id: string): Promise<void> {
    if (this._isDisposed || this._stopping.has(id)) {
      return;
    }
    this._stopping.add(id);
    this._stopErrors.delete(id);
    this._changed.emit(undefined);
    try {
      const stopped = await this.client.stop(id);
      if (this._isDisposed) {
        return;
      }
      this._executions = (this._executions ?? []).map(e =>
        e.id === stopped.id ? stopped : e
      );
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._stopErrors.set(id, errorMessage(reason));
    }
    this._stopping.delete(id);
    this._afterChange();
    await this.refresh();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    this._output?.dispose();
    this._output = null;
    Signal.clearData(this);
  }

  /**
   * Fetch the executions. Never rejects: a failure keeps the last list and
   * shows its error.
   */
  private async _fetch(): Promise<void> {
    try {
      const all = await this.client.executions();
      if (this._isDisposed) {
        return;
      }
      this._executions = all.filter(
        e => ExecutionsModel.normalizePath(e.path) === this.path
      );
      this._error = null;
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._error = errorMessage(reason);
    }
    this._afterChange();
  }

  private _afterChange(): void {
    if (!this._userSelected && !this.selected) {
      this._selectedId = this._executions?.[0]?.id ?? null;
    }
    this._syncOutput();
    const frequency = this._frequency();
    if (frequency.interval !== this._poll.frequency.interval) {
      this._poll.frequency = frequency;
    }
    this._changed.emit(undefined);
  }

  /**
   * Keep one output reader, for the selected execution.
   */
  private _syncOutput(): void {
    const id = this._selectedId;
    if (this._output?.id === id) {
      return;
    }
    this._output?.dispose();
    this._output = id === null ? null : this._createOutput(id);
  }

  private _frequency(): IPoll.Frequency {
    return {
      interval: this.hasActive ? this._intervals.active : this._intervals.idle,
      backoff: true,
      max: ExecutionsModel.MAX_BACKOFF
    };
  }

  private _poll: Poll;
  private _isVisible: () => boolean;
  private _intervals: { active: number; idle: number };
  private _createOutput: (id: string) => ExecutionOutput;
  private _executions: IProjectExecution[] | null = null;
  private _error: string | null = null;
  private _selectedId: string | null = null;
  private _userSelected = false;
  private _output: ExecutionOutput | null = null;
  private _stopping = new Set<string>();
  private _stopErrors = new Map<string, string>();
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `ExecutionsModel` statics.
 */
export namespace ExecutionsModel {
  /**
   * The refresh interval while an execution is queued or running (ms).
   */
  export const ACTIVE_INTERVAL = 1000;

  /**
   * The refresh interval otherwise (ms): another tab may start one.
   */
  export const IDLE_INTERVAL = 10_000;

  /**
   * The longest delay between attempts while the server fails (ms).
   */
  export const MAX_BACKOFF = 60 * 1000;

  /**
   * Whether an execution may still change (queued or running).
   */
  export function isActive(execution: IProjectExecution): boolean {
    return execution.state === 'queued' || execution.state === 'running';
  }

  /**
   * A project directory as compared: no `./` prefix, no trailing slash,
   * `.` for the root.
   */
  export function normalizePath(path: string): string {
    const trimmed = path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    return trimmed === '' ? '.' : trimmed;
  }

  /**
   * The options to create the model.
   */
  export interface IOptions {
    client: IProjectsClient;
    /**
     * The project directory, relative to the Jupyter root.
     */
    path: string;
    /**
     * Whether the view is visible (the poll stands by otherwise).
     */
    isVisible?: () => boolean;
    activeInterval?: number;
    idleInterval?: number;
    /**
     * Creates the output reader of an execution (tests give a fake).
     */
    createOutput?: (id: string) => ExecutionOutput;
  }
}
