import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import { TracksideModel } from '../models/tracksideModel';
import { ServingBody } from '../panels/serving/body';
import { ServingModel } from '../panels/serving/model';
import {
  IBackendStatus,
  IPredictResult,
  IServedModel,
  IServingService,
  ITracksideService
} from '../tokens';
import { ServeButton } from '../widgets/serveButton';
import { waitFor } from './fakeServer';

const XSS = '<img src=x onerror=alert(1)>';
const trans = nullTranslator.load('jupyterlab_trackside');

function served(
  id: string,
  state: IServedModel['state'],
  more: Partial<IServedModel> = {}
): IServedModel {
  return {
    id,
    name: 'iris',
    version: '1',
    model_uri: 'models:/iris/1',
    state,
    port: 1234,
    pid: 99,
    started_at: 1_700_000_000_000,
    ready_at: null,
    message: null,
    log_tail: '',
    ...more
  };
}

/**
 * Set a React-controlled field's value as a user typing would.
 */
function type(field: HTMLInputElement | HTMLTextAreaElement, text: string) {
  const prototype =
    field instanceof HTMLTextAreaElement
      ? HTMLTextAreaElement.prototype
      : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(prototype, 'value')!.set!.call(field, text);
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

function button(root: HTMLElement, label: string): HTMLButtonElement {
  // The accessible name: the aria-label, else the text.
  const found = Array.from(root.querySelectorAll('button')).find(
    b => (b.getAttribute('aria-label') ?? b.textContent) === label
  );
  if (!found) {
    throw new Error(`No button ${label}`);
  }
  return found;
}

describe('Served models view', () => {
  let connection: TracksideModel;
  let list: IServedModel[];
  let predictions: IPredictResult;
  let stops: string[];
  let service: IServingService;
  let widget: Widget;

  beforeEach(() => {
    connection = new TracksideModel({
      service: {} as ITracksideService,
      isActive: true
    });
    stops = [];
    list = [];
    predictions = {
      status: 200,
      latency_ms: 12.345,
      has_predictions: true,
      predictions: [0, 2],
      error: null
    };
    service = {
      serverSettings: {} as IServingService['serverSettings'],
      list: async () => list,
      start: async () => served('s9', 'starting'),
      stop: async id => {
        // As the server does: answer it stopped, and forget it.
        stops.push(id);
        const stopped = list.find(s => s.id === id)!;
        list = list.filter(s => s.id !== id);
        return { ...stopped, state: 'stopped' };
      },
      predict: async () => predictions
    };
  });

  afterEach(() => {
    widget?.dispose();
    connection.dispose();
  });

  function render(selectedId?: string): HTMLElement {
    widget = new ServingBody({
      model: new ServingModel({
        connection,
        service,
        selectedId,
        loadExample: async () => ({
          path: 'serving_input_example.json',
          payload: { dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } }
        })
      }),
      services: null,
      translator: nullTranslator
    });
    Widget.attach(widget, document.body);
    return widget.node;
  }

  it('lists served models as text, with the log of a failed one', async () => {
    list = [
      served('s1', 'failed', {
        name: XSS,
        message: 'Exited with code 1',
        log_tail: `Traceback\n${XSS}`
      }),
      served('s2', 'ready', { started_at: 1_700_000_100_000 })
    ];
    const node = render();
    await waitFor(() => node.querySelectorAll('li').length === 2);
    expect(node.querySelector('img')).toBeNull();
    const [ready, failed] = Array.from(node.querySelectorAll('li'));
    expect(ready.getAttribute('aria-label')).toBe('iris version 1');
    expect(ready.querySelector('[role="status"]')!.textContent).toBe('ready');
    expect(failed.querySelector('.jp-Trackside-ServedName')!.textContent).toBe(
      XSS
    );
    expect(failed.textContent).toContain('Exited with code 1');
    expect(failed.querySelector('pre')!.textContent).toBe(`Traceback\n${XSS}`);
    // A failed model has neither Stop nor Predict.
    expect(failed.querySelectorAll('button')).toHaveLength(0);
    expect(ready.querySelectorAll('button')).toHaveLength(2);
  });

  it('stops a served model from its Stop button', async () => {
    list = [served('s1', 'ready')];
    const node = render();
    await waitFor(() => node.querySelector('li') !== null);
    button(node, 'Stop iris version 1').click();
    await waitFor(
      () => node.querySelector('[role="status"]')!.textContent === 'stopped'
    );
    expect(stops).toEqual(['s1']);
  });

  it('predicts with the prefilled example and shows a table', async () => {
    list = [served('s1', 'ready')];
    const node = render();
    await waitFor(() => node.querySelector('li') !== null);
    button(node, 'Predict with iris version 1').click();
    await waitFor(() => node.textContent!.includes('Prefilled from'));
    const editor = node.querySelector('textarea')!;
    expect(JSON.parse(editor.value)).toEqual({
      dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] }
    });
    const cell = node.querySelector<HTMLInputElement>(
      'input[aria-label="Row 1, b"]'
    )!;
    expect(cell.value).toBe('2');

    // The table follows the JSON, and the JSON the table.
    type(cell, '20');
    await waitFor(() => editor.value.includes('20'));
    expect(JSON.parse(editor.value).dataframe_split.data).toEqual([[1, 20]]);

    button(node, 'Predict').click();
    await waitFor(
      () => node.querySelector('.jp-Trackside-PredictTable') !== null
    );
    const rows = Array.from(
      node.querySelectorAll('.jp-Trackside-PredictTable tbody tr')
    ).map(row => Array.from(row.children).map(c => c.textContent));
    expect(rows).toEqual([
      ['1', '0'],
      ['2', '2']
    ]);
    expect(
      node.querySelector('.jp-Trackside-PredictLatency')!.textContent
    ).toBe('HTTP 200 in 12.3 ms');
  });

  it('shows a JSON syntax error inline and disables Predict', async () => {
    list = [served('s1', 'ready')];
    const node = render('s1');
    await waitFor(() => node.textContent!.includes('Prefilled from'));
    const editor = node.querySelector('textarea')!;
    type(editor, '{"dataframe_split": {\n  "columns": ["a"],}}');
    await waitFor(() => node.querySelector('[role="alert"]') !== null);
    const alert = node.querySelector('[role="alert"]')!;
    expect(alert.textContent).toMatch(/^Line 2, column \d+: /);
    expect(editor.getAttribute('aria-invalid')).toBe('true');
    expect(editor.getAttribute('aria-describedby')).toBe(alert.id);
    expect(button(node, 'Predict').disabled).toBe(true);
    expect(
      node.querySelector<HTMLInputElement>('input[aria-label="Row 1, a"]')!
        .disabled
    ).toBe(true);
  });

  it("shows MLflow's error for a rejected payload, and JSON predictions", async () => {
    list = [served('s1', 'ready')];
    predictions = {
      status: 400,
      latency_ms: 3,
      has_predictions: false,
      predictions: undefined,
      error: { error_code: 'BAD_REQUEST', message: `Missing column ${XSS}` }
    };
    const node = render('s1');
    await waitFor(() => node.textContent!.includes('Prefilled from'));
    button(node, 'Predict').click();
    await waitFor(
      () => node.querySelector('.jp-Trackside-PredictError') !== null
    );
    const error = node.querySelector('.jp-Trackside-PredictError')!;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.querySelector('strong')!.textContent).toBe('BAD_REQUEST');
    expect(error.querySelector('pre')!.textContent).toBe(
      `Missing column ${XSS}`
    );
    expect(node.querySelector('img')).toBeNull();

    predictions = {
      status: 200,
      latency_ms: 3,
      has_predictions: true,
      predictions: { scores: [[0.1, 0.9]] },
      error: null
    };
    button(node, 'Predict').click();
    await waitFor(
      () => node.querySelector('.jp-Trackside-PredictJson') !== null
    );
    expect(
      JSON.parse(node.querySelector('.jp-Trackside-PredictJson')!.textContent!)
    ).toEqual({ scores: [[0.1, 0.9]] });
  });

  it('disables Predict while the model is starting', async () => {
    list = [served('s1', 'starting')];
    const node = render('s1');
    await waitFor(() => node.textContent!.includes('Prefilled from'));
    expect(button(node, 'Predict').disabled).toBe(true);
  });
});

describe('ServeButton', () => {
  let connection: TracksideModel;
  let status: IBackendStatus;
  let started: Array<[string, string]>;
  let release: () => void;
  let service: IServingService;
  let widget: Widget;

  beforeEach(() => {
    status = {
      tracking_uri: 'http://127.0.0.1:5000',
      mode: 'embedded',
      healthy: true,
      mlflow_version: '3.17.2',
      state: 'ready',
      message: null,
      capabilities: { registry_write: true, serving: true }
    };
    connection = new TracksideModel({
      service: { status: async () => status } as unknown as ITracksideService
    });
    started = [];
    service = {
      serverSettings: {} as IServingService['serverSettings'],
      list: async () => [],
      start: (name, version) => {
        started.push([name, version]);
        return new Promise(resolve => {
          release = () => resolve(served('s7', 'starting'));
        });
      },
      stop: async () => served('s7', 'stopped'),
      predict: async () => {
        throw new Error('not used');
      }
    };
  });

  afterEach(() => {
    widget?.dispose();
    connection.dispose();
  });

  function render(): HTMLElement {
    widget = ReactWidget.create(
      <ServeButton
        connection={connection}
        service={service}
        name="iris"
        version="3"
        trans={trans}
      />
    );
    Widget.attach(widget, document.body);
    return widget.node;
  }

  it('is hidden until the server says serving is allowed', async () => {
    status = {
      ...status,
      capabilities: { registry_write: true, serving: false }
    };
    const node = render();
    await connection.updateStatus();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(node.querySelector('button')).toBeNull();

    status = { ...status, capabilities: null };
    await connection.updateStatus();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(node.querySelector('button')).toBeNull();

    status = {
      ...status,
      capabilities: { registry_write: false, serving: true }
    };
    await connection.updateStatus();
    await waitFor(() => node.querySelector('button') !== null);
  });

  it('starts serving, disabled while starting, then shows the served model', async () => {
    await connection.updateStatus();
    const node = render();
    await waitFor(() => node.querySelector('button') !== null);
    const serve = node.querySelector('button')!;
    expect(serve.getAttribute('aria-label')).toBe('Serve iris version 3');
    serve.click();
    await waitFor(() => serve.disabled);
    expect(started).toEqual([['iris', '3']]);
    expect(serve.textContent).toBe('Starting…');
    const reason = node.querySelector(
      `#${CSS.escape(serve.getAttribute('aria-describedby')!)}`
    );
    expect(reason!.textContent).toBe('Starting the server…');

    release();
    await waitFor(() => connection.view.kind === 'serving');
    expect(connection.view).toEqual({ kind: 'serving', servedId: 's7' });
    await waitFor(() => !serve.disabled);
  });

  it('shows why serving could not start', async () => {
    await connection.updateStatus();
    service.start = async () => {
      throw new Error('Registered model version not found');
    };
    const node = render();
    await waitFor(() => node.querySelector('button') !== null);
    node.querySelector('button')!.click();
    await waitFor(() => node.querySelector('[role="alert"]') !== null);
    expect(node.querySelector('[role="alert"]')!.textContent).toBe(
      'Registered model version not found'
    );
    expect(connection.view.kind).toBe('list');
  });
});
