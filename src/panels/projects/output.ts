import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { errorMessage } from '../../services/errorMessage';
import { TracksideRequestError } from '../../services/request';
import { IProjectsClient } from '../../tokens';

/**
 * The output of one execution, read from the server from offset 0 (so a
 * page reload reads it again) with long polls, until the execution is done.
 * No DOM.
 *
 * Complete lines are announced by `appended` as they arrive (a partial last
 * line waits for its newline, or for the end); `text` keeps the last
 * `maxChars` of them, cut at a line start, for a view created later.
 * `dropped` says that earlier output is gone, here or on the server.
 */
export class ExecutionOutput implements IDisposable {
  /**
   * Create the reader; it starts reading at once.
   */
  constructor(options: ExecutionOutput.IOptions) {
    this.id = options.id;
    this._client = options.client;
    this._maxChars = options.maxChars ?? ExecutionOutput.MAX_CHARS;
    this._wait = options.wait ?? ExecutionOutput.WAIT;
    this._retryDelay = options.retryDelay ?? ExecutionOutput.RETRY_DELAY;
    this._reading = this._read();
  }

  /**
   * The execution whose output this is.
   */
  readonly id: string;

  /**
   * Emitted with each new piece of text (whole lines, or the last partial
   * line once the execution is done).
   */
  get appended(): ISignal<this, string> {
    return this._appended;
  }

  /**
   * Emitted when `done`, `dropped` or `error` change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The text kept (at most `maxChars`, whole lines).
   */
  get text(): string {
    return this._text;
  }

  /**
   * Whether output before `text` was dropped (by the server's bound or
   * this one).
   */
  get dropped(): boolean {
    return this._dropped;
  }

  /**
   * Whether all the output has been read.
   */
  get done(): boolean {
    return this._done;
  }

  /**
   * The error of the last read, `null` once one succeeds.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Resolves when reading stops (done, disposed or the execution is gone).
   */
  get reading(): Promise<void> {
    return this._reading;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop reading (the pending request is aborted).
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._abort.abort();
    Signal.clearData(this);
  }

  private async _read(): Promise<void> {
    let offset = 0;
    while (!this._isDisposed && !this._done) {
      try {
        const answer = await this._client.output(this.id, offset, {
          wait: this._wait,
          signal: this._abort.signal
        });
        if (this._isDisposed) {
          return;
        }
        if (answer.start > offset) {
          this._setDropped();
        }
        offset = answer.offset;
        this._setError(null);
        this._append(answer.output, answer.done);
        if (answer.done) {
          this._done = true;
          this._changed.emit(undefined);
        }
      } catch (reason) {
        if (this._isDisposed) {
          return;
        }
        this._setError(errorMessage(reason));
        if (reason instanceof TracksideRequestError && reason.status === 404) {
          return;
        }
        await new Promise(resolve => setTimeout(resolve, this._retryDelay));
      }
    }
  }

  private _append(output: string, done: boolean): void {
    let text = this._pending + output;
    this._pending = '';
    if (!done) {
      const end = text.lastIndexOf('\n') + 1;
      this._pending = text.slice(end);
      text = text.slice(0, end);
    }
    if (!text) {
      return;
    }
    this._text += text;
    if (this._text.length > this._maxChars) {
      const cut = this._text.length - this._maxChars;
      const lineStart = this._text.indexOf('\n', cut) + 1;
      this._text = this._text.slice(lineStart > 0 ? lineStart : cut);
      this._setDropped();
    }
    this._appended.emit(text);
  }

  private _setDropped(): void {
    if (!this._dropped) {
      this._dropped = true;
      this._changed.emit(undefined);
    }
  }

  private _setError(error: string | null): void {
    if (error !== this._error) {
      this._error = error;
      this._changed.emit(undefined);
    }
  }

  private _client: IProjectsClient;
  private _maxChars: number;
  private _wait: number;
  private _retryDelay: number;
  private _abort = new AbortController();
  private _reading: Promise<void>;
  private _text = '';
  private _pending = '';
  private _dropped = false;
  private _done = false;
  private _error: string | null = null;
  private _isDisposed = false;
  private _appended = new Signal<this, string>(this);
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `ExecutionOutput` statics.
 */
export namespace ExecutionOutput {
  /**
   * The most text kept (and shown) per execution, in characters.
   */
  export const MAX_CHARS = 200_000;

  /**
   * How long one read waits for output on the server (s).
   */
  export const WAIT = 20;

  /**
   * The delay before reading again after a failure (ms).
   */
  export const RETRY_DELAY = 2000;

  /**
   * The options to create the reader.
   */
  export interface IOptions {
    client: IProjectsClient;
    id: string;
    maxChars?: number;
    wait?: number;
    retryDelay?: number;
  }
}
