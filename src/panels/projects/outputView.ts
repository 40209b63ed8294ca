import { renderText } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { ExecutionOutput } from './output';

/**
 * The output of one execution as it streams: each piece rendered by
 * JupyterLab's text renderer (ANSI colours as spans, everything else
 * escaped: output is text, never HTML), at most `maxChars` kept in the
 * DOM, a note when earlier output was dropped, and scrolled to the end as
 * text arrives when the reader was at the end.
 */
export class ExecutionOutputView extends Widget {
  /**
   * Create the view; it renders what the reader has and follows it.
   */
  constructor(options: ExecutionOutputView.IOptions) {
    super();
    this.addClass('jp-Trackside-ProjectOutput');
    this._output = options.output;
    this._sanitizer = options.sanitizer;
    this._translator = options.translator ?? nullTranslator;
    this._maxChars = options.maxChars ?? ExecutionOutput.MAX_CHARS;
    const trans = this._translator.load('jupyterlab_trackside');
    this.node.setAttribute('role', 'log');
    this.node.setAttribute('aria-label', trans.__('Output of the run'));
    this.node.tabIndex = 0;
    this._notice.className = 'jp-Trackside-ProjectOutputDropped';
    this._notice.textContent = trans.__('Earlier output dropped');
    this.node.appendChild(this._notice);
    this.node.appendChild(this._lines);
    this._append(this._output.text);
    this._output.appended.connect(this._onAppended, this);
    this._output.changed.connect(this._updateNotice, this);
    this._updateNotice();
  }

  /**
   * The text shown (for tests and copy).
   */
  get text(): string {
    return this._chunks.map(chunk => chunk.node.textContent ?? '').join('');
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._output.appended.disconnect(this._onAppended, this);
    this._output.changed.disconnect(this._updateNotice, this);
    super.dispose();
  }

  private _onAppended(_: ExecutionOutput, text: string): void {
    this._append(text);
  }

  private _append(text: string): void {
    if (!text) {
      return;
    }
    const node = this.node;
    const atEnd =
      node.scrollHeight - node.scrollTop - node.clientHeight <=
      ExecutionOutputView.END_SLACK;
    const host = document.createElement('div');
    // jp-RenderedText: JupyterLab's own styles (ANSI colours included).
    host.className = 'jp-RenderedText jp-Trackside-ProjectOutputChunk';
    void renderText({
      host,
      sanitizer: this._sanitizer,
      source: text,
      translator: this._translator
    });
    this._lines.appendChild(host);
    this._chunks.push({ node: host, size: text.length });
    this._size += text.length;
    while (this._size > this._maxChars && this._chunks.length > 1) {
      const first = this._chunks.shift()!;
      first.node.remove();
      this._size -= first.size;
      this._trimmed = true;
    }
    this._updateNotice();
    if (atEnd) {
      node.scrollTop = node.scrollHeight;
    }
  }

  private _updateNotice(): void {
    this._notice.hidden = !(this._trimmed || this._output.dropped);
  }

  private _output: ExecutionOutput;
  private _sanitizer: IRenderMime.ISanitizer;
  private _translator: ITranslator;
  private _maxChars: number;
  private _notice = document.createElement('p');
  private _lines = document.createElement('div');
  private _chunks: { node: HTMLElement; size: number }[] = [];
  private _size = 0;
  private _trimmed = false;
}

/**
 * A namespace for `ExecutionOutputView` statics.
 */
export namespace ExecutionOutputView {
  /**
   * How close to the end (px) counts as "at the end" for auto-scroll.
   */
  export const END_SLACK = 8;

  /**
   * The options to create the view.
   */
  export interface IOptions {
    output: ExecutionOutput;
    /**
     * The sanitizer of ANSI-coloured text (the rendermime registry's).
     */
    sanitizer: IRenderMime.ISanitizer;
    translator?: ITranslator;
    maxChars?: number;
  }
}
