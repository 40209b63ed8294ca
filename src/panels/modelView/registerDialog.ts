import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { errorMessage } from '../../services/errorMessage';
import { IModelVersion, IRegistryService } from '../../tokens';

/**
 * What a registration sends besides the name.
 */
export interface IRegisterOptions {
  readonly source: string;
  readonly runId?: string;
  readonly modelId?: string;
  /**
   * How the dialog names the model (e.g. its logged name).
   */
  readonly label?: string;
}

/**
 * Ask for a registered model name (new or existing) and register the model
 * as its new version; MLflow's errors show in the dialog, which asks
 * again. Resolves the new version, or `null` when cancelled.
 */
export async function registerModel(
  registry: IRegistryService,
  options: IRegisterOptions,
  trans: TranslationBundle
): Promise<IModelVersion | null> {
  const existing = await existingNames(registry);
  let name = '';
  let error: string | null = null;
  for (;;) {
    const body = new RegisterBody({ names: existing, name, error, trans });
    const result = await showDialog({
      title: options.label
        ? trans.__('Register %1', options.label)
        : trans.__('Register model'),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Register') })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept) {
      return null;
    }
    name = (result.value ?? '').trim();
    if (!name) {
      error = trans.__('Enter the name of a registered model.');
      continue;
    }
    try {
      if (!existing.includes(name)) {
        await createIfMissing(registry, name);
        existing.push(name);
      }
      return await registry.createModelVersion({
        name,
        source: options.source,
        runId: options.runId,
        modelId: options.modelId
      });
    } catch (reason) {
      error = errorMessage(reason);
    }
  }
}

/**
 * The names of the registered models (the first thousand), to offer;
 * none when they cannot be read.
 */
async function existingNames(registry: IRegistryService): Promise<string[]> {
  try {
    const page = await registry.searchRegisteredModels({
      maxResults: 1000,
      orderBy: ['name ASC']
    });
    return page.registeredModels.map(model => model.name);
  } catch {
    return [];
  }
}

/**
 * Create a registered model; one created meanwhile is fine.
 */
async function createIfMissing(
  registry: IRegistryService,
  name: string
): Promise<void> {
  try {
    await registry.createRegisteredModel({ name });
  } catch (reason) {
    if (
      (reason as { errorCode?: string }).errorCode !== 'RESOURCE_ALREADY_EXISTS'
    ) {
      throw reason;
    }
  }
}

/**
 * The dialog's body: a name field offering the existing names, and the
 * last error. Built with text nodes only.
 */
class RegisterBody extends Widget implements Dialog.IBodyWidget<string> {
  constructor(options: {
    names: ReadonlyArray<string>;
    name: string;
    error: string | null;
    trans: TranslationBundle;
  }) {
    super();
    const { trans } = options;
    this.addClass('jp-Trackside-RegisterBody');
    const listId = `jp-Trackside-RegisterNames-${nextBodyId++}`;

    const label = document.createElement('label');
    label.textContent = trans.__('Registered model (new or existing)');
    this._input = document.createElement('input');
    this._input.className = 'jp-mod-styled jp-Trackside-RegisterName';
    this._input.value = options.name;
    this._input.setAttribute('list', listId);
    this._input.setAttribute('aria-label', trans.__('Registered model name'));
    this._input.required = true;
    label.appendChild(this._input);

    const list = document.createElement('datalist');
    list.id = listId;
    for (const name of options.names) {
      const option = document.createElement('option');
      option.value = name;
      list.appendChild(option);
    }
    this.node.append(label, list);

    const hint = document.createElement('p');
    hint.className = 'jp-Trackside-RegisterHint';
    hint.textContent = trans._n(
      '%1 registered model exists; a new name creates one.',
      '%1 registered models exist; a new name creates one.',
      options.names.length
    );
    this.node.appendChild(hint);

    if (options.error) {
      const error = document.createElement('p');
      error.className = 'jp-Trackside-DetailError';
      error.setAttribute('role', 'alert');
      error.textContent = options.error;
      this.node.appendChild(error);
    }
  }

  getValue(): string {
    return this._input.value;
  }

  private _input: HTMLInputElement;
}

// Ids of the bodies' name lists: unique per page.
let nextBodyId = 0;
