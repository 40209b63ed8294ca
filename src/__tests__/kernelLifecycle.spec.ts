import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import { KernelLifecycle, KernelLifecycles } from '../models/kernelLifecycle';
import { IKernelLifecycle } from '../tokens';

/**
 * The session context signals a lifecycle follows.
 */
class FakeContext {
  session: { kernel: unknown } | null;
  kernelChanged = new Signal<FakeContext, { newValue: unknown }>(this);
  statusChanged = new Signal<FakeContext, Kernel.Status>(this);
  iopubMessage = new Signal<FakeContext, unknown>(this);
  disposed = new Signal<FakeContext, void>(this);

  constructor(kernel: unknown = { id: 'k1' }) {
    this.session = kernel ? { kernel } : null;
  }

  changeKernel(kernel: unknown): void {
    this.session = kernel ? { kernel } : null;
    this.kernelChanged.emit({ newValue: kernel });
  }

  status(status: Kernel.Status): void {
    this.statusChanged.emit(status);
  }

  /**
   * A status message of the kernel process with this session id, as the
   * connection handles it: the status first, then the message.
   */
  statusFrom(session: string, status: Kernel.Status): void {
    this.status(status);
    this.iopubMessage.emit({
      header: { session, msg_type: 'status' },
      content: { execution_state: status }
    });
  }
}

describe('KernelLifecycle', () => {
  let context: FakeContext;
  let lifecycle: KernelLifecycle;
  let changes: string[];
  let settled: string[];

  beforeEach(() => {
    jest.useFakeTimers();
    context = new FakeContext();
    lifecycle = new KernelLifecycle({
      sessionContext: context as unknown as KernelLifecycle.IContext
    });
    changes = [];
    settled = [];
    const name = (change: IKernelLifecycle.IChange) =>
      `${change.reason}:${(change.kernel as { id?: string } | null)?.id ?? 'none'}`;
    lifecycle.kernelChanged.connect((_, change) => changes.push(name(change)));
    lifecycle.kernelSettled.connect((_, change) => settled.push(name(change)));
  });

  afterEach(() => {
    lifecycle.dispose();
    jest.useRealTimers();
  });

  it('reports a first kernel, a switch and no kernel, each settling once', () => {
    const fresh = new FakeContext(null);
    const other = new KernelLifecycle({
      sessionContext: fresh as unknown as KernelLifecycle.IContext
    });
    const seen: string[] = [];
    other.kernelChanged.connect((_, c) => seen.push(c.reason));
    other.kernelSettled.connect((_, c) => seen.push(`settled ${c.reason}`));
    fresh.changeKernel({ id: 'a' });
    fresh.status('idle');
    fresh.status('idle');
    fresh.changeKernel({ id: 'b' });
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS);
    fresh.changeKernel(null);
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS * 2);
    expect(seen).toEqual([
      'start',
      'settled start',
      'switch',
      'settled switch',
      'switch'
    ]);
    expect(other.kernel).toBeNull();
    other.dispose();
  });

  it('takes restart statuses for one new process, settled at its first idle', () => {
    context.status('restarting');
    context.status('starting');
    expect(changes).toEqual(['restart:k1']);
    expect(settled).toEqual([]);
    context.status('idle');
    expect(settled).toEqual(['restart:k1']);
    // Later idles and the settle time do not settle it again.
    context.status('busy');
    context.status('idle');
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS * 2);
    expect(changes).toEqual(['restart:k1']);
    expect(settled).toEqual(['restart:k1']);
  });

  it('settles a REST restart that never reports idle after its last sign', () => {
    // What the page sees when the REST API restarts a busy kernel: the
    // connection reconnects and stays 'starting' (its kernel_info reply
    // status is not tracked).
    context.status('restarting');
    context.status('autorestarting');
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS / 2);
    context.status('starting');
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS - 1);
    expect(settled).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(changes).toEqual(['restart:k1']);
    expect(settled).toEqual(['restart:k1']);
  });

  it('notices a new process whose restart statuses were missed', () => {
    // Seen in CI after a REST restart: no 'restarting' or 'starting'
    // reached the page, only the new process's busy and idle.
    context.statusFrom('first-process', 'busy');
    context.statusFrom('first-process', 'idle');
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS * 2);
    expect(changes).toEqual([]);

    context.statusFrom('second-process', 'busy');
    expect(changes).toEqual(['restart:k1']);
    context.statusFrom('second-process', 'idle');
    expect(settled).toEqual(['restart:k1']);
    context.statusFrom('second-process', 'busy');
    context.statusFrom('second-process', 'idle');
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS * 2);
    expect(changes).toHaveLength(1);

    // Messages the Jupyter server makes itself carry its own session id:
    // taken for a new process once (a harmless extra load), not at every
    // switch back and forth.
    for (const session of ['server', 'second-process', 'server']) {
      context.statusFrom(session, 'idle');
      jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS * 2);
    }
    expect(changes).toHaveLength(2);
    expect(settled).toHaveLength(2);
  });

  it('counts only status messages, and forgets the ids at a kernel switch', () => {
    const message = (session: string, msgType: string) =>
      context.iopubMessage.emit({ header: { session, msg_type: msgType } });
    message('kernel', 'status');
    // The server's "IOPub rate exceeded" warning carries its own id.
    message('server', 'stream');
    expect(changes).toEqual([]);

    context.changeKernel({ id: 'k2' });
    message('other-kernel', 'status');
    expect(changes).toEqual(['switch:k2']);
  });

  it('is disposed with its session context', () => {
    context.disposed.emit();
    expect(lifecycle.isDisposed).toBe(true);
    context.status('restarting');
    expect(changes).toEqual([]);
  });
});

describe('KernelLifecycles', () => {
  it('gives one lifecycle per session context, a new one after disposal', () => {
    const lifecycles = new KernelLifecycles();
    const context = new FakeContext();
    const asContext = context as unknown as ISessionContext;
    const first = lifecycles.get(asContext);
    expect(lifecycles.get(asContext)).toBe(first);
    expect(lifecycles.get(new FakeContext() as never)).not.toBe(first);
    context.disposed.emit();
    expect(first.isDisposed).toBe(true);
    const second = lifecycles.get(asContext);
    expect(second).not.toBe(first);
    expect(second.isDisposed).toBe(false);
    second.dispose();
  });
});
