import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import { ModelFilesClient } from '../services/modelFilesClient';
import { FileTreeModel } from '../widgets/artifactPreview/fileTree';
import { ArtifactPreviewModel } from '../widgets/artifactPreview/model';
import { outputText, parseNotebook } from '../widgets/artifactPreview/notebook';
import { previewKind } from '../widgets/artifactPreview/previewKind';
import { FileTree } from '../widgets/artifactPreview/view';
import { FakeServer, json, waitFor } from './fakeServer';

const XSS = '<img src=x onerror=alert(1)>';
const trans = nullTranslator.load('jupyterlab_trackside');

describe('previewKind', () => {
  it('chooses the preview by file name', () => {
    expect(previewKind('model/MLmodel')).toEqual({
      kind: 'text',
      language: 'yaml'
    });
    expect(previewKind('requirements.txt')).toEqual({
      kind: 'text',
      language: null
    });
    expect(previewKind('cells/cell_3.py')).toEqual({
      kind: 'text',
      language: 'python'
    });
    expect(previewKind('input_example.json')).toEqual({
      kind: 'text',
      language: 'json'
    });
    expect(previewKind('train.log').kind).toBe('text');
    expect(previewKind('plots/ROC.PNG')).toEqual({ kind: 'image' });
    expect(previewKind('a.jpeg')).toEqual({ kind: 'image' });
    expect(previewKind('data/rows.csv')).toEqual({ kind: 'table' });
    expect(previewKind('data/rows.parquet')).toEqual({ kind: 'table' });
    expect(previewKind('run.ipynb')).toEqual({ kind: 'notebook' });
  });

  it('only downloads HTML, SVG, binaries and unknown types', () => {
    for (const path of [
      'report.html',
      'chart.svg',
      'model.pkl',
      'noextension',
      '.hidden'
    ]) {
      expect(previewKind(path)).toEqual({ kind: 'download' });
    }
  });
});

describe('parseNotebook', () => {
  it('keeps sources and text outputs, naming rich outputs only', () => {
    const notebook = parseNotebook(
      JSON.stringify({
        metadata: { language_info: { name: 'python' } },
        nbformat: 4,
        cells: [
          { cell_type: 'markdown', source: ['# Title\n', 'text'] },
          {
            cell_type: 'code',
            execution_count: 3,
            source: 'print(1)',
            outputs: [
              { output_type: 'stream', name: 'stdout', text: ['1\n'] },
              {
                output_type: 'display_data',
                data: { 'text/html': [XSS] }
              },
              {
                output_type: 'execute_result',
                data: { 'text/plain': 'x', 'text/html': XSS }
              }
            ]
          }
        ]
      })
    );
    expect(notebook.language).toBe('python');
    expect(notebook.cells[0]).toEqual({
      type: 'markdown',
      source: '# Title\ntext',
      executionCount: null,
      outputs: []
    });
    expect(notebook.cells[1].outputs).toEqual([
      '1\n',
      '[text/html output]',
      'x'
    ]);
  });

  it('strips terminal colours from tracebacks and rejects non-notebooks', () => {
    expect(
      outputText({
        output_type: 'error',
        ename: 'ValueError',
        evalue: 'bad',
        traceback: ['\u001b[0;31mValueError\u001b[0m: bad']
      })
    ).toBe('ValueError: bad');
    expect(() => parseNotebook('{"nbformat": 4}')).toThrow(/no cells/);
    expect(() => parseNotebook('not json')).toThrow(/not valid JSON/);
  });
});

describe('ArtifactPreviewModel', () => {
  it('loads text through the artifacts/file endpoint', async () => {
    const server = new FakeServer(() => new Response('print("hi")\n'));
    const service = new ModelFilesClient({
      serverSettings: server.serverSettings
    });
    const model = new ArtifactPreviewModel({
      service,
      file: { runId: 'r1', path: 'cells/cell 1.py' }
    });
    expect(model.state.status).toBe('loading');
    await waitFor(() => model.state.status !== 'loading');
    expect(model.state).toEqual({
      status: 'text',
      text: 'print("hi")\n',
      language: 'python'
    });
    const request = server.requestsTo('artifacts/file')[0];
    expect(request.query).toEqual({ run_id: 'r1', path: 'cells/cell 1.py' });
    expect(model.downloadUrl).toContain('download=1');
    model.dispose();
  });

  it('turns a 413 into "too large" with the size', async () => {
    const server = new FakeServer(
      () =>
        new Response(
          JSON.stringify({
            error_code: 'RESOURCE_EXHAUSTED',
            message: 'model.pkl is 20971520 bytes'
          }),
          { status: 413, headers: { 'X-Trackside-File-Size': '20971520' } }
        )
    );
    const model = new ArtifactPreviewModel({
      service: new ModelFilesClient({ serverSettings: server.serverSettings }),
      file: { modelId: 'm-1', path: 'big.json' }
    });
    await waitFor(() => model.state.status !== 'loading');
    expect(model.state).toEqual({
      status: 'tooLarge',
      size: 20971520,
      message: 'model.pkl is 20971520 bytes'
    });
    expect(server.requests[0].query).toEqual({
      model_id: 'm-1',
      path: 'big.json'
    });
  });

  it('reads table rows and reports MLflow errors', async () => {
    const server = new FakeServer(request =>
      request.endpoint === 'artifacts/table'
        ? json({
            columns: [{ name: 'a', type: 'int64' }],
            rows: [[1], [2]],
            total_rows: 10,
            truncated: true
          })
        : json({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'gone' }, 404)
    );
    const service = new ModelFilesClient({
      serverSettings: server.serverSettings
    });
    const table = new ArtifactPreviewModel({
      service,
      file: { runId: 'r', path: 'rows.csv' }
    });
    const missing = new ArtifactPreviewModel({
      service,
      file: { runId: 'r', path: 'gone.txt' }
    });
    await waitFor(
      () =>
        table.state.status !== 'loading' && missing.state.status !== 'loading'
    );
    expect(table.state).toEqual({
      status: 'table',
      table: {
        columns: [{ name: 'a', type: 'int64' }],
        rows: [[1], [2]],
        total_rows: 10,
        truncated: true
      }
    });
    expect(server.requestsTo('artifacts/table')[0].query.limit).toBe('50');
    expect(missing.state).toEqual({ status: 'error', message: 'gone' });
  });

  it('shows an image through a blob URL, revoked on dispose', async () => {
    const created: Blob[] = [];
    const revoked: string[] = [];
    // jsdom has no object URLs.
    URL.createObjectURL = (blob: Blob) => {
      created.push(blob);
      return 'blob:preview-1';
    };
    URL.revokeObjectURL = (url: string) => void revoked.push(url);
    const server = new FakeServer(
      () =>
        new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), {
          headers: { 'Content-Type': 'image/png' }
        })
    );
    const model = new ArtifactPreviewModel({
      service: new ModelFilesClient({ serverSettings: server.serverSettings }),
      file: { runId: 'r', path: 'plots/roc.png' }
    });
    await waitFor(() => model.state.status !== 'loading');
    expect(model.state).toEqual({ status: 'image', url: 'blob:preview-1' });
    expect(created[0].size).toBe(4);
    expect(revoked).toEqual([]);
    model.dispose();
    expect(revoked).toEqual(['blob:preview-1']);
  });

  it('offers a download only for unknown types, without fetching', async () => {
    const server = new FakeServer();
    const model = new ArtifactPreviewModel({
      service: new ModelFilesClient({ serverSettings: server.serverSettings }),
      file: { runId: 'r', path: 'page.html' }
    });
    await waitFor(() => model.state.status !== 'loading');
    expect(model.state).toEqual({ status: 'download' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('FileTree', () => {
  it('lists, expands folders, previews files and renders names as text', async () => {
    const server = new FakeServer(request => {
      if (request.endpoint === 'artifacts/model-list') {
        return json({
          files:
            request.query.path === 'sub'
              ? [{ path: `sub/${XSS}.txt`, is_dir: false, file_size: 3 }]
              : [
                  { path: 'MLmodel', is_dir: false, file_size: 120 },
                  { path: 'sub', is_dir: true }
                ]
        });
      }
      return new Response(XSS);
    });
    const tree = new FileTreeModel({
      owner: { modelId: 'm-1' },
      service: new ModelFilesClient({ serverSettings: server.serverSettings })
    });
    await tree.load();
    const widget = ReactWidget.create(
      <FileTree model={tree} languages={null} trans={trans} />
    );
    Widget.attach(widget, document.body);
    const host = widget.node;
    await waitFor(() => host.textContent!.includes('MLmodel'));
    expect(host.textContent).toContain('120 B');

    tree.toggleFolder('sub');
    await waitFor(() => host.textContent!.includes(`${XSS}.txt`));

    tree.togglePreview(`sub/${XSS}.txt`);
    await waitFor(() => host.querySelector('pre')?.textContent === XSS);
    expect(host.querySelector('pre')?.textContent).toBe(XSS);
    expect(host.querySelector('img')).toBeNull();
    const download = host.querySelector<HTMLAnchorElement>(
      'a.jp-Trackside-FileTreeDownload'
    )!;
    expect(download.href).toContain('trackside/api/artifacts/file');
    expect(download.href).toContain('model_id=m-1');
    expect(download.href).toContain('download=1');

    widget.dispose();
    tree.dispose();
    expect(tree.preview(`sub/${XSS}.txt`)).toBeNull();
  });
});
