import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { errorMessage } from '../../services/errorMessage';
import { IPredictResult, IServedModel, IServingService } from '../../tokens';
import { IServingExample } from './example';
import { IJsonError, parseJson, prettyJson } from './jsonText';
import { IPayloadTable, PayloadTable } from './payload';

/**
 * The predict form of one served model: the payload as JSON text and as a
 * table (kept in step: editing one rewrites the other), the example it was
 * prefilled from, the request in flight and its result. No DOM.
 *
 * Disposing it aborts a request in flight and ignores a late example, so
 * no answer outlives the form.
 */
export class PredictModel implements IDisposable {
  /**
   * Create the form; it starts loading the input example at once.
   */
  constructor(options: PredictModel.IOptions) {
    this.served = options.served;
    this._service = options.service;
    this._loadExample = options.loadExample;
    void this._prefill();
  }

  /**
   * The served model the form predicts with (its state at creation).
   */
  readonly served: IServedModel;

  /**
   * Emitted when anything the form shows changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The JSON editor's text.
   */
  get text(): string {
    return this._text;
  }

  /**
   * The syntax error of the text, `null` when it parses.
   */
  get jsonError(): IJsonError | null {
    return this._jsonError;
  }

  /**
   * The payload as a table; `null` when it is not tabular. While the text
   * has a syntax error this is the last table that parsed (`isTableStale`).
   */
  get table(): IPayloadTable | null {
    return this._table;
  }

  /**
   * Whether the table shows an older payload than the text (the text does
   * not parse).
   */
  get isTableStale(): boolean {
    return this._jsonError !== null;
  }

  /**
   * `loading` while the input example is read; `loaded` when the form was
   * prefilled from it; `none` when the model has none; `failed` when it
   * could not be read (`exampleError`).
   */
  get exampleState(): PredictModel.ExampleState {
    return this._exampleState;
  }

  /**
   * The file the form was prefilled from, `null` if none.
   */
  get examplePath(): string | null {
    return this._examplePath;
  }

  /**
   * Why the input example could not be read.
   */
  get exampleError(): string | null {
    return this._exampleError;
  }

  /**
   * Whether a predict request is in flight.
   */
  get isPredicting(): boolean {
    return this._controller !== null;
  }

  /**
   * The last answer, `null` before the first or after a failed request.
   */
  get result(): IPredictResult | null {
    return this._result;
  }

  /**
   * Why the last request failed (not a rejected payload: that is in
   * `result.error`).
   */
  get requestError(): string | null {
    return this._requestError;
  }

  /**
   * Whether Predict can be pressed.
   */
  get canPredict(): boolean {
    return !this.isDisposed && !this.isPredicting && this._jsonError === null;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Set the JSON text (the user typed); the table follows when it parses.
   */
  setText(text: string): void {
    if (this.isDisposed) {
      return;
    }
    this._touched = true;
    this._text = text;
    const parsed = parseJson(text);
    if (parsed.ok) {
      this._jsonError = null;
      this._table = PayloadTable.fromPayload(parsed.value);
    } else {
      this._jsonError = parsed.error;
    }
    this._changed.emit(undefined);
  }

  /**
   * Set one cell of the table (the user typed); the text follows.
   */
  setCell(row: number, column: number, text: string): void {
    if (this._table && !this.isTableStale) {
      this._setTable(PayloadTable.setCell(this._table, row, column, text));
    }
  }

  /**
   * Rename one column of the table; the text follows.
   */
  renameColumn(column: number, name: string): void {
    if (this._table && !this.isTableStale) {
      this._setTable(PayloadTable.renameColumn(this._table, column, name));
    }
  }

  /**
   * Send the payload and record the answer. Does nothing while a request
   * is in flight or the text does not parse.
   */
  async predict(): Promise<void> {
    if (!this.canPredict) {
      return;
    }
    const parsed = parseJson(this._text);
    if (!parsed.ok) {
      return;
    }
    const controller = new AbortController();
    this._controller = controller;
    this._requestError = null;
    this._changed.emit(undefined);
    try {
      const result = await this._service.predict(this.served.id, parsed.value, {
        signal: controller.signal
      });
      if (this.isDisposed) {
        return;
      }
      this._result = result;
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      this._result = null;
      this._requestError = errorMessage(reason);
    }
    this._controller = null;
    this._changed.emit(undefined);
  }

  /**
   * Dispose the form; a request in flight is aborted.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._controller?.abort();
    this._controller = null;
    Signal.clearData(this);
  }

  private _setTable(table: IPayloadTable): void {
    if (this.isDisposed) {
      return;
    }
    this._touched = true;
    this._table = table;
    this._text = prettyJson(PayloadTable.toPayload(table));
    this._jsonError = null;
    this._changed.emit(undefined);
  }

  /**
   * Prefill the form from the input example, unless the user has already
   * typed.
   */
  private async _prefill(): Promise<void> {
    let example: IServingExample | null = null;
    try {
      example = await this._loadExample();
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      this._exampleState = 'failed';
      this._exampleError = errorMessage(reason);
      this._changed.emit(undefined);
      return;
    }
    if (this.isDisposed) {
      return;
    }
    this._exampleState = example ? 'loaded' : 'none';
    this._examplePath = example?.path ?? null;
    if (example && !this._touched) {
      const text = prettyJson(example.payload);
      this.setText(text);
      this._touched = false;
    }
    this._changed.emit(undefined);
  }

  private _service: IServingService;
  private _loadExample: PredictModel.ExampleLoader;
  private _controller: AbortController | null = null;
  private _isDisposed = false;
  private _touched = false;
  private _text = PredictModel.EMPTY_PAYLOAD;
  private _jsonError: IJsonError | null = null;
  private _table: IPayloadTable | null = PayloadTable.fromPayload(
    JSON.parse(PredictModel.EMPTY_PAYLOAD)
  );
  private _exampleState: PredictModel.ExampleState = 'loading';
  private _examplePath: string | null = null;
  private _exampleError: string | null = null;
  private _result: IPredictResult | null = null;
  private _requestError: string | null = null;
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `PredictModel` statics.
 */
export namespace PredictModel {
  /**
   * The state of the input example.
   */
  export type ExampleState = 'loading' | 'loaded' | 'none' | 'failed';

  /**
   * Reads the served model version's example payload; `null` when it has
   * none.
   */
  export type ExampleLoader = () => Promise<IServingExample | null>;

  /**
   * The payload of a form with no example: an empty split to fill in.
   */
  export const EMPTY_PAYLOAD = prettyJson({
    dataframe_split: { columns: [], data: [] }
  });

  /**
   * The options to create the form.
   */
  export interface IOptions {
    served: IServedModel;
    service: IServingService;
    loadExample: ExampleLoader;
  }
}
