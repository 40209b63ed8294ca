import { Kernel, KernelMessage } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import { KernelLifecycle, KernelLifecycles } from '../models/kernelLifecycle';
import { SeriesStore } from '../models/seriesStore';
import {
  IBackfillRequester,
  METRICS_TARGET,
  MetricCommChannel
} from '../stream/commChannel';
import { MetricStreamManager } from '../stream/streamManager';
import { SyncStatusModel } from '../stream/syncStatus';
import { asCommBuffer, metricStream, seriesRows } from './metricArrow';

type Target = (comm: Kernel.IComm, msg: KernelMessage.ICommOpenMsg) => void;

class FakeComm {
  constructor(
    readonly targetName: string,
    readonly commId: string
  ) {}
  onMsg: ((msg: KernelMessage.ICommMsgMsg) => void) | null = null;
  onClose: ((msg: KernelMessage.ICommCloseMsg) => void) | null = null;
  closed = false;
  close(): void {
    this.closed = true;
  }
  /** Deliver a kernel message to the frontend side of the comm. */
  receive(
    data: Record<string, unknown>,
    buffers: (ArrayBuffer | ArrayBufferView)[] = []
  ): void {
    this.onMsg?.({
      content: { comm_id: this.commId, data },
      buffers
    } as unknown as KernelMessage.ICommMsgMsg);
  }
}

class FakeKernel {
  constructor(readonly id: string) {}
  targets = new Map<string, Target>();
  registered: string[] = [];
  removed: string[] = [];
  comms = new Map<string, FakeComm>();
  kernelComms: Record<string, { target_name: string }> = {};
  statusChanged = new Signal<FakeKernel, Kernel.Status>(this);
  iopubMessage = new Signal<FakeKernel, KernelMessage.IIOPubMessage>(this);
  isDisposed = false;
  /** A busy kernel answers comm info only after its running cell. */
  commInfoBlocked = false;

  registerCommTarget(name: string, callback: Target): void {
    this.registered.push(name);
    this.targets.set(name, callback);
  }
  removeCommTarget(name: string, callback: Target): void {
    if (this.targets.get(name) === callback) {
      this.targets.delete(name);
      this.removed.push(name);
    }
  }
  async requestCommInfo(): Promise<KernelMessage.ICommInfoReplyMsg> {
    if (this.commInfoBlocked) {
      return new Promise(() => undefined);
    }
    return {
      content: { status: 'ok', comms: this.kernelComms }
    } as unknown as KernelMessage.ICommInfoReplyMsg;
  }
  hasComm(id: string): boolean {
    return this.comms.has(id);
  }
  createComm(target: string, id: string): FakeComm {
    const comm = new FakeComm(target, id);
    this.comms.set(id, comm);
    return comm;
  }
  /**
   * A comm message on IOPub, as the connection handles it: to the comm
   * with that id if there is one (else dropped), then to `iopubMessage`.
   */
  broadcast(
    commId: string,
    data: Record<string, unknown>,
    buffers: (ArrayBuffer | ArrayBufferView)[] = []
  ): void {
    this.comms.get(commId)?.receive(data, buffers);
    this.iopubMessage.emit({
      header: { msg_type: 'comm_msg' },
      content: { comm_id: commId, data },
      buffers
    } as unknown as KernelMessage.IIOPubMessage);
  }
  /** The kernel opens a comm to the frontend. */
  open(seq = 1, id = `comm-${this.comms.size + 1}`): FakeComm {
    const comm = new FakeComm(METRICS_TARGET, id);
    this.comms.set(id, comm);
    const target = this.targets.get(METRICS_TARGET);
    expect(target).toBeDefined();
    target!(
      comm as unknown as Kernel.IComm,
      {
        content: {
          comm_id: id,
          target_name: METRICS_TARGET,
          data: { type: 'hello', version: 1, seq }
        },
        metadata: { version: 1 }
      } as unknown as KernelMessage.ICommOpenMsg
    );
    return comm;
  }
}

/**
 * A session context: proxies its kernel's status and IOPub signals.
 */
class FakeSessionContext {
  constructor(kernel: FakeKernel | null) {
    this.session = { kernel };
    this._proxy(kernel);
  }
  session: { kernel: FakeKernel | null };
  kernelChanged = new Signal<
    FakeSessionContext,
    { newValue: FakeKernel | null }
  >(this);
  statusChanged = new Signal<FakeSessionContext, Kernel.Status>(this);
  iopubMessage = new Signal<FakeSessionContext, KernelMessage.IIOPubMessage>(
    this
  );
  disposed = new Signal<FakeSessionContext, void>(this);
  changeKernel(kernel: FakeKernel | null): void {
    const old = this.session.kernel;
    old?.statusChanged.disconnect(this._onStatus, this);
    old?.iopubMessage.disconnect(this._onIOPub, this);
    this.session = { kernel };
    this._proxy(kernel);
    this.kernelChanged.emit({ newValue: kernel });
  }
  private _proxy(kernel: FakeKernel | null): void {
    kernel?.statusChanged.connect(this._onStatus, this);
    kernel?.iopubMessage.connect(this._onIOPub, this);
  }
  private _onStatus(_: FakeKernel, status: Kernel.Status): void {
    this.statusChanged.emit(status);
  }
  private _onIOPub(_: FakeKernel, msg: KernelMessage.IIOPubMessage): void {
    this.iopubMessage.emit(msg);
  }
}

function lifecycleOf(context: FakeSessionContext): KernelLifecycle {
  return new KernelLifecycle({
    sessionContext: context as unknown as KernelLifecycle.IContext
  });
}

class RecordingBackfill implements IBackfillRequester {
  requests: string[] = [];
  activity: string[] = [];
  request(runId: string, key: string): void {
    this.requests.push(`${runId}/${key}`);
  }
  noteActivity(runId: string, key: string): void {
    this.activity.push(`${runId}/${key}`);
  }
}

function points(
  seq: number,
  rows = seriesRows('run-a', 'loss', [seq]),
  extra: Record<string, unknown> = {}
) {
  return {
    data: {
      type: 'points',
      stream: METRICS_TARGET,
      seq,
      decimated: false,
      points: rows.length,
      ...extra
    },
    buffers: [asCommBuffer(metricStream(rows), seq % 7)]
  };
}

describe('MetricCommChannel', () => {
  let store: SeriesStore;
  let backfill: RecordingBackfill;

  beforeEach(() => {
    store = new SeriesStore();
    backfill = new RecordingBackfill();
  });

  afterEach(() => store.dispose());

  function channelFor(context: FakeSessionContext): MetricCommChannel {
    return new MetricCommChannel({
      lifecycle: lifecycleOf(context),
      store,
      backfill
    });
  }

  it('registers the target on the kernel, a new kernel, a restart; removes it on dispose', async () => {
    const first = new FakeKernel('1');
    const context = new FakeSessionContext(first);
    const channel = channelFor(context);
    expect(first.registered).toEqual([METRICS_TARGET]);

    first.statusChanged.emit('restarting');
    expect(first.registered).toEqual([METRICS_TARGET, METRICS_TARGET]);

    const second = new FakeKernel('2');
    context.changeKernel(second);
    expect(first.removed).toEqual([METRICS_TARGET]);
    expect(first.targets.size).toBe(0);
    expect(second.targets.has(METRICS_TARGET)).toBe(true);
    expect(channel.kernel).toBe(second);

    context.changeKernel(null);
    expect(second.targets.size).toBe(0);
    const third = new FakeKernel('3');
    context.changeKernel(third);
    expect(third.targets.has(METRICS_TARGET)).toBe(true);

    channel.dispose();
    channel.dispose();
    expect(third.targets.size).toBe(0);
    expect(third.removed).toEqual([METRICS_TARGET]);
  });

  it('registers once the session gets a kernel', () => {
    const context = new FakeSessionContext(null);
    const channel = channelFor(context);
    const kernel = new FakeKernel('1');
    context.changeKernel(kernel);
    expect(kernel.targets.has(METRICS_TARGET)).toBe(true);
    channel.dispose();
  });

  it('decodes points into the store; a seq gap asks for backfills', async () => {
    const kernel = new FakeKernel('1');
    const channel = channelFor(new FakeSessionContext(kernel));
    const comm = kernel.open(1);
    const m1 = points(1);
    comm.receive(m1.data, m1.buffers);
    const m2 = points(2, seriesRows('run-b', 'acc', [0, 1]));
    comm.receive(m2.data, m2.buffers);
    await channel.processed;
    expect(Array.from(store.get('run-a', 'loss')!.steps)).toEqual([1]);
    expect(Array.from(store.get('run-b', 'acc')!.values)).toEqual([0, 10]);
    expect(backfill.requests).toEqual([]);
    expect(backfill.activity).toEqual(['run-a/loss', 'run-b/acc']);

    const m4 = points(4, seriesRows('run-a', 'loss', [4]));
    comm.receive(m4.data, m4.buffers);
    await channel.processed;
    expect(backfill.requests.sort()).toEqual([
      'run-a/loss',
      'run-a/loss',
      'run-b/acc'
    ]);
    expect(Array.from(store.get('run-a', 'loss')!.steps)).toEqual([1, 4]);

    backfill.requests = [];
    const m5 = points(5, seriesRows('run-a', 'loss', [5]));
    comm.receive(m5.data, m5.buffers);
    await channel.processed;
    expect(backfill.requests).toEqual([]);
    channel.dispose();
  });

  it('asks for backfills of decimated and lost series', async () => {
    const kernel = new FakeKernel('1');
    const channel = channelFor(new FakeSessionContext(kernel));
    const comm = kernel.open(1);
    const m1 = points(1, seriesRows('r', 'loss', [0, 9]), {
      decimated: true,
      dropped_exact: 8
    });
    comm.receive(m1.data, m1.buffers);
    const m2 = points(2, seriesRows('r', 'acc', [0]), { lost: [['r', 'f1']] });
    comm.receive(m2.data, m2.buffers);
    await channel.processed;
    expect(backfill.requests).toEqual(['r/loss', 'r/f1']);
    expect(store.get('r', 'loss')!.source).toBe('decimated');
    expect(store.get('r', 'acc')!.source).toBe('exact');
    channel.dispose();
  });

  it('after a restart: backfills what was streamed, and the series of the new comm', async () => {
    const kernel = new FakeKernel('1');
    const channel = channelFor(new FakeSessionContext(kernel));
    const comm = kernel.open(1);
    const m1 = points(1);
    comm.receive(m1.data, m1.buffers);
    await channel.processed;
    expect(backfill.requests).toEqual([]);

    kernel.statusChanged.emit('restarting');
    expect(backfill.requests).toEqual(['run-a/loss']);
    // messages of the old comm are ignored
    const stale = points(2, seriesRows('old', 'x', [0]));
    comm.receive(stale.data, stale.buffers);

    const fresh = kernel.open(1, 'comm-new');
    const n1 = points(1, seriesRows('run-c', 'loss', [0]));
    fresh.receive(n1.data, n1.buffers);
    const n2 = points(2, seriesRows('run-c', 'loss', [1]));
    fresh.receive(n2.data, n2.buffers);
    await channel.processed;
    expect(store.has('old', 'x')).toBe(false);
    expect(backfill.requests).toEqual(['run-a/loss', 'run-c/loss']);
    channel.dispose();
  });

  it('after a restart whose statuses the page missed: the same as a restart', async () => {
    const kernel = new FakeKernel('1');
    const channel = channelFor(new FakeSessionContext(kernel));
    const status = (session: string) =>
      kernel.iopubMessage.emit({
        header: { session, msg_type: 'status' },
        content: { execution_state: 'idle' }
      } as unknown as KernelMessage.IIOPubMessage);
    status('first-process');
    const comm = kernel.open(1);
    const m1 = points(1);
    comm.receive(m1.data, m1.buffers);
    await channel.processed;
    expect(backfill.requests).toEqual([]);

    // Only the new process's messages reach the page (seen in CI).
    status('second-process');
    expect(backfill.requests).toEqual(['run-a/loss']);
    expect(kernel.registered).toEqual([METRICS_TARGET, METRICS_TARGET]);
    const fresh = kernel.open(1, 'comm-new');
    const n1 = points(1, seriesRows('run-c', 'loss', [0]));
    fresh.receive(n1.data, n1.buffers);
    await channel.processed;
    expect(backfill.requests).toEqual(['run-a/loss', 'run-c/loss']);
    channel.dispose();
  });

  it('a comm reopened mid-session (hello seq > 1) backfills its first series', async () => {
    const kernel = new FakeKernel('1');
    const channel = channelFor(new FakeSessionContext(kernel));
    const comm = kernel.open(7);
    const m = points(7);
    comm.receive(m.data, m.buffers);
    await channel.processed;
    expect(backfill.requests).toEqual(['run-a/loss']);
    channel.dispose();
  });

  it('reattaches to a comm the kernel already has open (page reload)', async () => {
    const kernel = new FakeKernel('1');
    kernel.kernelComms = {
      'comm-old': { target_name: METRICS_TARGET },
      other: { target_name: 'x' }
    };
    const channel = channelFor(new FakeSessionContext(kernel));
    await Promise.resolve();
    await Promise.resolve();
    expect(Array.from(kernel.comms.keys())).toEqual(['comm-old']);
    const comm = kernel.comms.get('comm-old')!;
    const m = points(42);
    comm.receive(m.data, m.buffers);
    await channel.processed;
    expect(Array.from(store.get('run-a', 'loss')!.steps)).toEqual([42]);
    expect(backfill.requests).toEqual(['run-a/loss']);
    channel.dispose();
  });

  it('adopts the comm from its messages while the kernel is busy (page reload)', async () => {
    const kernel = new FakeKernel('1');
    kernel.commInfoBlocked = true;
    const channel = channelFor(new FakeSessionContext(kernel));
    await Promise.resolve();
    // Another extension's comm message is left alone.
    kernel.broadcast('not-ours', { type: 'points', seq: 1 });
    expect(kernel.comms.size).toBe(0);

    const first = points(41);
    kernel.broadcast('comm-old', first.data, first.buffers);
    expect(Array.from(kernel.comms.keys())).toEqual(['comm-old']);
    const second = points(42);
    kernel.broadcast('comm-old', second.data, second.buffers);
    await channel.processed;
    expect(Array.from(store.get('run-a', 'loss')!.steps)).toEqual([41, 42]);
    // Points were missed before the adoption: the series is backfilled.
    expect(backfill.requests).toEqual(['run-a/loss']);
    channel.dispose();
  });

  it('a closed comm backfills what it streamed', async () => {
    const kernel = new FakeKernel('1');
    const channel = channelFor(new FakeSessionContext(kernel));
    const comm = kernel.open(1);
    const m = points(1);
    comm.receive(m.data, m.buffers);
    await channel.processed;
    comm.onClose?.({} as KernelMessage.ICommCloseMsg);
    expect(backfill.requests).toEqual(['run-a/loss']);
    channel.dispose();
  });

  it('keeps the journal backlog of sync messages without disturbing the seq', async () => {
    const kernel = new FakeKernel('1');
    const sync = new SyncStatusModel();
    const channel = new MetricCommChannel({
      lifecycle: lifecycleOf(new FakeSessionContext(kernel)),
      store,
      backfill,
      sync,
      label: () => 'train.ipynb'
    });
    const comm = kernel.open(1);
    const m1 = points(1);
    comm.receive(m1.data, m1.buffers);
    comm.receive({
      type: 'sync',
      stream: METRICS_TARGET,
      backlog: 1200,
      sent: 300,
      dead_lettered: 0,
      draining: true,
      last_error: 'Connection refused'
    });
    // Malformed: ignored, the previous status stays.
    comm.receive({ type: 'sync', backlog: -1, sent: 0, draining: true });
    const m2 = points(2);
    comm.receive(m2.data, m2.buffers);
    await channel.processed;
    expect(backfill.requests).toEqual([]);
    expect(Array.from(store.get('run-a', 'loss')!.steps)).toEqual([1, 2]);
    expect(sync.waiting.map(entry => [entry.label, entry.status])).toEqual([
      [
        'train.ipynb',
        {
          backlog: 1200,
          sent: 300,
          deadLettered: 0,
          draining: true,
          lastError: 'Connection refused'
        }
      ]
    ]);

    // A restart forgets the old process's numbers.
    kernel.statusChanged.emit('restarting');
    expect(sync.waiting).toEqual([]);
    channel.dispose();
  });

  it('closes a comm of another protocol version', () => {
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    const kernel = new FakeKernel('1');
    const channel = channelFor(new FakeSessionContext(kernel));
    const comm = new FakeComm(METRICS_TARGET, 'v2');
    kernel.targets.get(METRICS_TARGET)!(
      comm as unknown as Kernel.IComm,
      {
        content: {
          comm_id: 'v2',
          target_name: METRICS_TARGET,
          data: { type: 'hello', version: 2 }
        },
        metadata: { version: 2 }
      } as unknown as KernelMessage.ICommOpenMsg
    );
    expect(comm.closed).toBe(true);
    warn.mockRestore();
    channel.dispose();
  });
});

describe('MetricStreamManager', () => {
  it('adds a channel per notebook and drops it with the notebook', () => {
    const store = new SeriesStore();
    const backfill = new RecordingBackfill();
    const existing = new FakeSessionContext(new FakeKernel('1'));
    const widgetAdded = new Signal<
      unknown,
      { sessionContext: FakeSessionContext }
    >({});
    const tracker = {
      widgetAdded,
      forEach: (fn: (panel: { sessionContext: FakeSessionContext }) => void) =>
        fn({ sessionContext: existing })
    };
    const manager = new MetricStreamManager({
      tracker: tracker as never,
      lifecycles: new KernelLifecycles(),
      store,
      backfill
    });
    expect(existing.session.kernel!.targets.has(METRICS_TARGET)).toBe(true);
    const added = new FakeSessionContext(new FakeKernel('2'));
    widgetAdded.emit({ sessionContext: added });
    const kernel = added.session.kernel!;
    expect(kernel.targets.has(METRICS_TARGET)).toBe(true);
    added.disposed.emit();
    expect(kernel.targets.size).toBe(0);
    manager.dispose();
    expect(existing.session.kernel!.targets.size).toBe(0);
    store.dispose();
  });
});
