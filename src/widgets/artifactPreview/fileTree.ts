import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { errorMessage } from '../../services/errorMessage';
import { FileOwner, IFileInfo, IModelFilesService } from '../../tokens';
import { ArtifactPreviewModel } from './model';

/**
 * The files of a run or a logged model as a tree: folders listed when
 * expanded, files previewed when opened; no DOM.
 */
export class FileTreeModel implements IDisposable {
  /**
   * Create the tree of `owner`'s files below `root`.
   *
   * @param options.files - the root's files when already listed; fetched
   *   on `load()` otherwise.
   */
  constructor(options: FileTreeModel.IOptions) {
    this.owner = options.owner;
    this.root = options.root ?? '';
    this._service = options.service;
    if (options.files) {
      this._listings.set(this.root, options.files);
    }
  }

  /**
   * Whose files: a run's or a logged model's.
   */
  readonly owner: FileOwner;

  /**
   * The folder the tree starts at ('' for the root).
   */
  readonly root: string;

  /**
   * Emitted when a listing, an expansion or a preview changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The files directly in `folder`; `null` while not listed.
   */
  files(folder: string = this.root): ReadonlyArray<IFileInfo> | null {
    return this._listings.get(folder) ?? null;
  }

  /**
   * Why `folder` could not be listed; `null` if it could.
   */
  error(folder: string = this.root): string | null {
    return this._errors.get(folder) ?? null;
  }

  /**
   * List the root (again).
   */
  async load(): Promise<void> {
    await this._list(this.root);
  }

  /**
   * Whether `folder` is expanded.
   */
  isExpanded(folder: string): boolean {
    return this._expanded.has(folder);
  }

  /**
   * Expand or collapse a folder; its files are listed the first time.
   */
  toggleFolder(folder: string): void {
    if (this._expanded.delete(folder)) {
      this._changed.emit();
      return;
    }
    this._expanded.add(folder);
    this._changed.emit();
    if (!this._listings.has(folder)) {
      void this._list(folder);
    }
  }

  /**
   * The open preview of a file; `null` when closed.
   */
  preview(path: string): ArtifactPreviewModel | null {
    return this._previews.get(path) ?? null;
  }

  /**
   * Open or close the preview of a file.
   */
  togglePreview(path: string): void {
    const open = this._previews.get(path);
    if (open) {
      open.dispose();
      this._previews.delete(path);
    } else {
      this._previews.set(
        path,
        new ArtifactPreviewModel({
          service: this._service,
          file: { ...this.owner, path }
        })
      );
    }
    this._changed.emit();
  }

  /**
   * The URL that downloads a file.
   */
  downloadUrl(path: string): string {
    return this._service.downloadUrl({
      ...this.owner,
      path
    });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._previews.forEach(preview => preview.dispose());
    this._previews.clear();
    Signal.clearData(this);
  }

  private async _list(folder: string): Promise<void> {
    try {
      const files = await this._service.listFiles(this.owner, folder);
      if (this._isDisposed) {
        return;
      }
      this._listings.set(folder, files);
      this._errors.delete(folder);
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._errors.set(folder, errorMessage(reason));
    }
    this._changed.emit();
  }

  private _service: IModelFilesService;
  private _isDisposed = false;
  private _listings = new Map<string, ReadonlyArray<IFileInfo>>();
  private _errors = new Map<string, string>();
  private _expanded = new Set<string>();
  private _previews = new Map<string, ArtifactPreviewModel>();
  private _changed = new Signal<this, void>(this);
}

/**
 * A namespace for `FileTreeModel` statics.
 */
export namespace FileTreeModel {
  export interface IOptions {
    owner: FileOwner;
    service: IModelFilesService;
    root?: string;
    files?: ReadonlyArray<IFileInfo>;
  }
}
