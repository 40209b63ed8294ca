import { nullTranslator } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import { SyncBacklog } from '../panels/sync/syncBacklog';
import { parseSyncMessage, SyncStatusModel } from '../stream/syncStatus';
import { waitFor } from './fakeServer';

function sync(
  backlog: number,
  sent: number,
  extra: Record<string, unknown> = {}
) {
  return parseSyncMessage({
    type: 'sync',
    stream: 'trackside.metrics',
    backlog,
    sent,
    dead_lettered: 0,
    draining: backlog > 0,
    last_error: null,
    ...extra
  })!;
}

describe('parseSyncMessage', () => {
  it('reads the contract fields', () => {
    expect(
      parseSyncMessage({
        type: 'sync',
        stream: 'trackside.metrics',
        backlog: 5,
        sent: 7,
        dead_lettered: 2,
        draining: false,
        last_error: 'HTTP 503'
      })
    ).toEqual({
      backlog: 5,
      sent: 7,
      deadLettered: 2,
      draining: false,
      lastError: 'HTTP 503'
    });
  });

  it('refuses what is not a sync message with counts', () => {
    const good = {
      type: 'sync',
      backlog: 1,
      sent: 0,
      dead_lettered: 0,
      draining: true,
      last_error: null
    };
    expect(parseSyncMessage(good)).not.toBeNull();
    expect(parseSyncMessage({ ...good, type: 'points' })).toBeNull();
    expect(parseSyncMessage({ ...good, backlog: '1' })).toBeNull();
    expect(parseSyncMessage({ ...good, backlog: 1.5 })).toBeNull();
    expect(parseSyncMessage({ ...good, sent: -3 })).toBeNull();
    expect(parseSyncMessage({ ...good, draining: 'yes' })).toBeNull();
    expect(parseSyncMessage(null)).toBeNull();
    expect(parseSyncMessage('sync')).toBeNull();
  });
});

describe('SyncStatusModel', () => {
  it('lists kernels with a backlog, in first-report order', () => {
    const model = new SyncStatusModel();
    const a = {};
    const b = {};
    let changes = 0;
    model.changed.connect(() => changes++);
    model.set(a, 'a.ipynb', sync(10, 0));
    model.set(b, 'b.ipynb', sync(3, 2));
    model.set(a, 'a.ipynb', sync(10, 0)); // unchanged: no signal
    expect(changes).toBe(2);
    expect(model.waiting.map(entry => entry.label)).toEqual([
      'a.ipynb',
      'b.ipynb'
    ]);
    model.set(a, 'a.ipynb', sync(0, 10));
    expect(model.waiting.map(entry => entry.label)).toEqual(['b.ipynb']);
    model.delete(b);
    expect(model.waiting).toEqual([]);
    expect(changes).toBe(4);
  });

  it('counts a drain from where the backlog rose above 0', () => {
    const model = new SyncStatusModel();
    const key = {};
    model.set(key, 'n.ipynb', sync(0, 500));
    model.set(key, 'n.ipynb', sync(1000, 500));
    expect(model.waiting[0].drainTotal).toBe(1000);
    model.set(key, 'n.ipynb', sync(400, 1100));
    expect(model.waiting[0].drainTotal).toBe(1000);
    // Points logged while it drains join the episode.
    model.set(key, 'n.ipynb', sync(450, 1150));
    expect(model.waiting[0].drainTotal).toBe(1100);
    model.set(key, 'n.ipynb', sync(0, 1600));
    model.set(key, 'n.ipynb', sync(20, 1600));
    expect(model.waiting[0].drainTotal).toBe(20);
  });
});

describe('SyncBacklog', () => {
  const trans = nullTranslator.load('jupyterlab_trackside');
  let widget: Widget;

  afterEach(() => widget.dispose());

  it('shows each waiting kernel, a progress bar while draining, the error', async () => {
    const model = new SyncStatusModel();
    const a = {};
    const b = {};
    widget = ReactWidget.create(<SyncBacklog model={model} trans={trans} />);
    Widget.attach(widget, document.body);
    const host = widget.node;
    const kernels = () => host.querySelectorAll('.jp-Trackside-SyncKernel');
    await waitFor(() => host.querySelector('[role="status"]') !== null);
    const region = host.querySelector('[role="status"]')!;
    expect(region.getAttribute('aria-live')).toBe('polite');
    expect(region.textContent).toBe('');

    model.set(a, 'train.ipynb', sync(0, 0));
    model.set(a, 'train.ipynb', {
      ...sync(12000, 0),
      draining: false,
      lastError: '<b>Connection refused</b>'
    });
    model.set(b, 'eval.ipynb', sync(1, 4));
    await waitFor(() => kernels().length === 2);
    const rows = kernels();
    expect(rows[0].textContent).toContain('train.ipynb');
    expect(rows[0].textContent).toContain(
      `${(12000).toLocaleString()} points waiting to sync · 0 sent`
    );
    // Not draining (the server is down): no bar; the error as text.
    expect(rows[0].querySelector('progress')).toBeNull();
    expect(rows[0].querySelector('b')).toBeNull();
    expect(rows[0].textContent).toContain(
      'Last error: <b>Connection refused</b>'
    );
    expect(rows[1].textContent).toContain('1 point waiting to sync · 4 sent');

    model.set(a, 'train.ipynb', sync(3000, 9000));
    await waitFor(() => kernels()[0].querySelector('progress') !== null);
    const bar = kernels()[0].querySelector('progress')!;
    expect(bar.max).toBe(12000);
    expect(bar.value).toBe(9000);
    expect(bar.getAttribute('aria-label')).toBe('Sync progress of train.ipynb');
    expect(host.textContent).not.toContain('Last error');

    model.set(a, 'train.ipynb', sync(0, 12000));
    model.set(b, 'eval.ipynb', sync(0, 5));
    await waitFor(() => kernels().length === 0);
    expect(region.textContent).toBe('');
  });
});
