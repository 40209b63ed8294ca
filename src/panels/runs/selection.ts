import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * The runs selected for comparison, across experiments, in selection order.
 */
export class RunSelection implements IDisposable {
  /**
   * Emitted with the selected run ids when they change.
   */
  get changed(): ISignal<this, ReadonlyArray<string>> {
    return this._changed;
  }

  /**
   * The selected run ids, in selection order.
   */
  get ids(): ReadonlyArray<string> {
    return Array.from(this._ids);
  }

  /**
   * Whether the selection is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Whether a run is selected.
   */
  has(runId: string): boolean {
    return this._ids.has(runId);
  }

  /**
   * Select or deselect a run.
   */
  set(runId: string, selected: boolean): void {
    if (this.isDisposed || this._ids.has(runId) === selected) {
      return;
    }
    if (selected) {
      this._ids.add(runId);
    } else {
      this._ids.delete(runId);
    }
    this._changed.emit(this.ids);
  }

  /**
   * Deselect every run.
   */
  clear(): void {
    if (this.isDisposed || this._ids.size === 0) {
      return;
    }
    this._ids.clear();
    this._changed.emit([]);
  }

  /**
   * Dispose the selection.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._ids.clear();
    Signal.clearData(this);
  }

  private _ids = new Set<string>();
  private _isDisposed = false;
  private _changed = new Signal<this, ReadonlyArray<string>>(this);
}
