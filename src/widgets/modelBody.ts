import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { IDisposable } from '@lumino/disposable';

/**
 * The body of a panel: a React widget that renders one model with the
 * services its views need. It owns the model and disposes it with itself.
 */
export abstract class ModelBody<M extends IDisposable, S> extends ReactWidget {
  /**
   * Create the body.
   *
   * @param options - the model, services and translator.
   * @param className - the CSS class of the body's node.
   */
  constructor(options: ModelBody.IOptions<M, S>, className: string) {
    super();
    this.model = options.model;
    this.services = options.services;
    this.trans = options.translator.load('jupyterlab_trackside');
    this.addClass(className);
  }

  /**
   * The model shown (owned by the body).
   */
  readonly model: M;

  /**
   * Dispose the body and its model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  /**
   * What the views need beyond the model.
   */
  protected readonly services: S;

  /**
   * The translation bundle of the views.
   */
  protected readonly trans: TranslationBundle;
}

/**
 * A namespace for `ModelBody` statics.
 */
export namespace ModelBody {
  /**
   * The options to create a body.
   */
  export interface IOptions<M, S> {
    /**
     * The model (owned by the body).
     */
    model: M;
    /**
     * What the views need beyond the model.
     */
    services: S;
    translator: ITranslator;
  }
}
