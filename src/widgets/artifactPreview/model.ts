import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { errorMessage } from '../../services/errorMessage';
import {
  FileResult,
  IFileRef,
  IFileTable,
  IModelFilesService
} from '../../tokens';
import { INotebookPreview, parseNotebook } from './notebook';
import { previewKind } from './previewKind';

/**
 * What a preview shows.
 */
export type PreviewState =
  | { readonly status: 'loading' }
  | {
      readonly status: 'text';
      readonly text: string;
      readonly language: string | null;
    }
  | { readonly status: 'image'; readonly url: string }
  | { readonly status: 'table'; readonly table: IFileTable }
  | { readonly status: 'notebook'; readonly notebook: INotebookPreview }
  | { readonly status: 'download' }
  | {
      readonly status: 'tooLarge';
      readonly size: number | null;
      readonly message: string;
    }
  | { readonly status: 'error'; readonly message: string };

/**
 * The preview of one file: fetched once, as the file's name says (text,
 * image blob, table rows, notebook); no DOM. An image's object URL is
 * revoked on dispose.
 */
export class ArtifactPreviewModel implements IDisposable {
  /**
   * Create the preview; it starts loading at once.
   */
  constructor(options: ArtifactPreviewModel.IOptions) {
    this.file = options.file;
    this._service = options.service;
    this.downloadUrl = this._service.downloadUrl(this.file);
    void this._load();
  }

  /**
   * The file previewed.
   */
  readonly file: IFileRef;

  /**
   * The URL that downloads the file.
   */
  readonly downloadUrl: string;

  /**
   * Emitted when the state changes.
   */
  get stateChanged(): ISignal<this, PreviewState> {
    return this._stateChanged;
  }

  /**
   * What the preview shows.
   */
  get state(): PreviewState {
    return this._state;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._state.status === 'image') {
      URL.revokeObjectURL(this._state.url);
    }
    Signal.clearData(this);
  }

  private async _load(): Promise<void> {
    const kind = previewKind(this.file.path);
    let state: PreviewState;
    try {
      switch (kind.kind) {
        case 'text':
          state = settle(await this._service.fetchText(this.file), text => ({
            status: 'text',
            text,
            language: kind.language
          }));
          break;
        case 'image':
          state = settle(await this._service.fetchBlob(this.file), blob => ({
            status: 'image',
            url: URL.createObjectURL(blob)
          }));
          break;
        case 'table':
          state = settle(await this._service.fetchTable(this.file), table => ({
            status: 'table',
            table
          }));
          break;
        case 'notebook':
          state = settle(await this._service.fetchText(this.file), text => ({
            status: 'notebook',
            notebook: parseNotebook(text)
          }));
          break;
        default:
          state = { status: 'download' };
      }
    } catch (reason) {
      state = { status: 'error', message: errorMessage(reason) };
    }
    if (this._isDisposed) {
      if (state.status === 'image') {
        URL.revokeObjectURL(state.url);
      }
      return;
    }
    this._state = state;
    this._stateChanged.emit(state);
  }

  private _service: IModelFilesService;
  private _isDisposed = false;
  private _state: PreviewState = { status: 'loading' };
  private _stateChanged = new Signal<this, PreviewState>(this);
}

/**
 * A namespace for `ArtifactPreviewModel` statics.
 */
export namespace ArtifactPreviewModel {
  export interface IOptions {
    file: IFileRef;
    service: IModelFilesService;
  }
}

/**
 * The state of a fetched file: its preview, or "too large".
 */
function settle<T>(
  result: FileResult<T>,
  toState: (value: T) => PreviewState
): PreviewState {
  if (result.kind === 'tooLarge') {
    return { status: 'tooLarge', size: result.size, message: result.message };
  }
  return toState(result.value);
}
