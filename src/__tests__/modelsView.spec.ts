import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { TracksideModel } from '../models/tracksideModel';
import { TracksideClient } from '../services/client';
import { RegistryClient } from '../services/registryClient';
import { RunsModel } from '../panels/runs/model';
import { TracksideView } from '../panels/sidebar/view';
import {
  FakeServer,
  HEALTHY_STATUS,
  IRecordedRequest,
  json,
  waitFor
} from './fakeServer';

jest.mock('../charts/preload', () => ({ preloadChartLibraries: jest.fn() }));

const XSS = '<img src=x onerror=alert(1)>';

function backend(writes: boolean) {
  return (request: IRecordedRequest): Response => {
    switch (request.endpoint) {
      case 'status':
        return json({
          ...HEALTHY_STATUS,
          capabilities: { registry_write: writes, serving: writes }
        });
      case 'mlflow/experiments/search':
        return json({ experiments: [] });
      case 'mlflow/registered-models/search':
        return json({
          registered_models: [
            {
              name: XSS,
              description: `${XSS}\nsecond line`,
              tags: [{ key: 'note', value: XSS }],
              aliases: [{ alias: 'champion', version: '2' }],
              latest_versions: [{ name: XSS, version: '2' }],
              last_updated_timestamp: Date.now()
            }
          ],
          next_page_token: 'next'
        });
      case 'mlflow/registered-models/get':
        return json({
          registered_model: {
            name: request.query.name,
            description: XSS,
            tags: [{ key: 'note', value: XSS }]
          }
        });
      case 'mlflow/model-versions/search':
        return json({
          model_versions: [
            {
              name: request.query.name,
              version: '2',
              run_id: 'abcdef0123456789',
              model_id: 'm-0123',
              status: 'READY',
              current_stage: 'Staging',
              description: XSS,
              aliases: ['champion']
            },
            { name: request.query.name, version: '1', status: 'READY' }
          ]
        });
      default:
        return json({ error_code: 'ENDPOINT_NOT_FOUND', message: 'no' }, 404);
    }
  };
}

describe('The models views in the sidebar', () => {
  let server: FakeServer;
  let connection: TracksideModel;
  let runs: RunsModel;
  let view: TracksideView;

  function create(writes: boolean): void {
    server = new FakeServer(backend(writes));
    connection = new TracksideModel({
      service: new TracksideClient({ serverSettings: server.serverSettings }),
      isActive: true
    });
    runs = new RunsModel({ connection });
    view = new TracksideView({
      runs,
      translator: nullTranslator,
      services: {
        registry: new RegistryClient({ serverSettings: server.serverSettings })
      }
    });
    Widget.attach(view, document.body);
  }

  afterEach(() => {
    view.dispose();
    runs.dispose();
    connection.dispose();
  });

  it('renders registered models as text, with Load more', async () => {
    create(true);
    connection.showModels();
    await waitFor(
      () => view.node.querySelector('.jp-Trackside-ModelName') !== null
    );
    const row = view.node.querySelector('.jp-Trackside-ModelRow')!;
    expect(row.querySelector('img')).toBeNull();
    expect(row.querySelector('.jp-Trackside-ModelName')?.textContent).toBe(XSS);
    expect(
      row.querySelector('.jp-Trackside-ModelDescription')?.textContent
    ).toBe(XSS);
    expect(row.textContent).toContain(`note = ${XSS}`);
    expect(row.textContent).toContain('@champion → v2');
    expect(row.textContent).toContain('Latest: v2');
    expect(view.node.querySelector('.jp-Trackside-LoadMore')).not.toBeNull();

    // The list is kept (hidden) while a registered model is shown.
    (row.querySelector('.jp-Trackside-ModelName') as HTMLElement).click();
    expect(connection.view).toEqual({ kind: 'registeredModel', name: XSS });
    await waitFor(
      () => view.node.querySelector('.jp-Trackside-VersionRow') !== null
    );
    expect(view.node.querySelector('img')).toBeNull();
    expect(
      view.node.querySelector('.jp-Trackside-DetailName')?.textContent
    ).toBe(XSS);
    const rows = view.node.querySelectorAll('.jp-Trackside-VersionRow');
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain('Staging');
    expect(rows[0].textContent).toContain('m-0123');
    expect(rows[0].textContent).toContain('abcdef01');
    expect(rows[0].textContent).toContain('@champion');
  });

  it('shows write actions only when the server allows registry writes', async () => {
    create(false);
    await connection.updateStatus();
    connection.showRegisteredModel('iris');
    await waitFor(
      () => view.node.querySelector('.jp-Trackside-VersionRow') !== null
    );
    expect(
      view.node.querySelector('.jp-Trackside-ReadOnlyNote')?.textContent
    ).toContain('Read-only');
    expect(view.node.querySelector('.jp-Trackside-VersionManage')).toBeNull();
    expect(view.node.querySelector('.jp-Trackside-EditDescription')).toBeNull();
    expect(view.node.querySelector('.jp-Trackside-TagForm')).toBeNull();
    view.dispose();
    runs.dispose();
    connection.dispose();

    create(true);
    await connection.updateStatus();
    connection.showRegisteredModel('iris');
    await waitFor(
      () => view.node.querySelector('.jp-Trackside-VersionManage') !== null
    );
    expect(view.node.querySelector('.jp-Trackside-ReadOnlyNote')).toBeNull();
    expect(
      view.node.querySelector('.jp-Trackside-EditDescription')
    ).not.toBeNull();
  });

  it('links to the served models only when serving is allowed', async () => {
    create(false);
    await connection.updateStatus();
    connection.showModels();
    await waitFor(
      () => view.node.querySelector('.jp-Trackside-ModelName') !== null
    );
    expect(view.node.querySelector('.jp-Trackside-ServedLink')).toBeNull();
    view.dispose();
    runs.dispose();
    connection.dispose();

    create(true);
    connection.showModels();
    await connection.updateStatus();
    await waitFor(
      () => view.node.querySelector('.jp-Trackside-ServedLink') !== null
    );
    const link = view.node.querySelector(
      '.jp-Trackside-ServedLink'
    ) as HTMLButtonElement;
    expect(link.textContent).toBe('Served models');
    link.click();
    expect(connection.view).toEqual({ kind: 'serving' });
  });
});
