import { nullTranslator } from '@jupyterlab/translation';
import {
  acceptDialog,
  dismissDialog,
  waitForDialog
} from '@jupyterlab/testing';
import { registerModel } from '../panels/modelView/registerDialog';
import { TracksideRequestError } from '../services/request';
import { IModelVersion, IRegistryService } from '../tokens';

const trans = nullTranslator.load('jupyterlab_trackside');

/**
 * A registry that knows one registered model and records the writes.
 */
function fakeRegistry(failures: Error[] = []) {
  const calls: string[] = [];
  const registry = {
    calls,
    searchRegisteredModels: async () => ({
      registeredModels: [{ name: 'iris' }],
      nextPageToken: null
    }),
    createRegisteredModel: async (options: { name: string }) => {
      calls.push(`create-model ${options.name}`);
      return { name: options.name };
    },
    createModelVersion: async (
      options: IRegistryService.ICreateModelVersionOptions
    ) => {
      calls.push(
        `create-version ${options.name} ${options.source} ${options.runId} ${options.modelId}`
      );
      const failure = failures.shift();
      if (failure) {
        throw failure;
      }
      return { name: options.name, version: '3' } as IModelVersion;
    }
  };
  return registry as unknown as IRegistryService & { calls: string[] };
}

/**
 * Type a name into the open dialog.
 */
function typeName(name: string): void {
  const input = document.querySelector<HTMLInputElement>(
    '.jp-Dialog input.jp-Trackside-RegisterName'
  )!;
  input.value = name;
}

describe('registerModel', () => {
  afterEach(async () => {
    // Close a dialog a failed test left open.
    if (document.querySelector('.jp-Dialog')) {
      await dismissDialog();
    }
  });

  it('offers the existing names and registers under one', async () => {
    const registry = fakeRegistry();
    const result = registerModel(
      registry,
      { source: 'models:/m-1', modelId: 'm-1', runId: 'r1', label: 'model' },
      trans
    );
    await waitForDialog();
    const options = Array.from(
      document.querySelectorAll('.jp-Dialog datalist option')
    ).map(option => (option as HTMLOptionElement).value);
    expect(options).toEqual(['iris']);
    typeName('iris');
    await acceptDialog();
    expect(await result).toEqual({ name: 'iris', version: '3' });
    // An existing model is not created again.
    expect(registry.calls).toEqual(['create-version iris models:/m-1 r1 m-1']);
  });

  it("creates a new model, shows MLflow's error inline and asks again", async () => {
    const registry = fakeRegistry([
      new TracksideRequestError({
        status: 400,
        errorCode: 'INVALID_PARAMETER_VALUE',
        message: 'Invalid model version source: <b>x</b>'
      })
    ]);
    const result = registerModel(
      registry,
      { source: 'runs:/r1/model', runId: 'r1' },
      trans
    );
    await waitForDialog();
    typeName('  fresh  ');
    await acceptDialog();
    await waitForDialog();
    const error = document.querySelector('.jp-Dialog [role="alert"]')!;
    expect(error.textContent).toBe('Invalid model version source: <b>x</b>');
    expect(error.querySelector('b')).toBeNull();
    // The name typed is kept.
    expect(
      document.querySelector<HTMLInputElement>('.jp-Dialog input')!.value
    ).toBe('fresh');
    await acceptDialog();
    expect(await result).toEqual({ name: 'fresh', version: '3' });
    expect(registry.calls).toEqual([
      'create-model fresh',
      'create-version fresh runs:/r1/model r1 undefined',
      // Created once: the second try only registers the version.
      'create-version fresh runs:/r1/model r1 undefined'
    ]);
  });

  it('asks for a name and resolves null when cancelled', async () => {
    const registry = fakeRegistry();
    const result = registerModel(registry, { source: 'models:/m-1' }, trans);
    await waitForDialog();
    await acceptDialog();
    await waitForDialog();
    expect(
      document.querySelector('.jp-Dialog [role="alert"]')?.textContent
    ).toBe('Enter the name of a registered model.');
    await dismissDialog();
    expect(await result).toBeNull();
    expect(registry.calls).toEqual([]);
  });
});
