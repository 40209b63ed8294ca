import { PageConfig } from '@jupyterlab/coreutils';
import { Kernel } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import { KernelLifecycle } from '../models/kernelLifecycle';
import { NotebookTracking } from '../notebook/notebookTracking';

/**
 * A notebook panel stand-in: metadata, a session context whose kernel
 * records the code it is asked to run.
 */
class FakePanel {
  constructor() {
    const executed = this.executed;
    const cancelNext = () => this.cancelNext;
    const loseNext = () => this.loseNext;
    this.sessionContext = {
      ready: Promise.resolve(),
      path: 'work/analysis.ipynb',
      statusChanged: new Signal<unknown, Kernel.Status>(this),
      propertyChanged: new Signal<unknown, 'path' | 'name' | 'type'>(this),
      iopubMessage: new Signal<unknown, unknown>(this),
      kernelChanged: new Signal<unknown, unknown>(this),
      disposed: new Signal<unknown, void>(this),
      session: {
        kernel: {
          status: 'idle',
          requestExecute: (content: { code: string }) => {
            executed.push(content.code);
            if (loseNext()) {
              // Sent before the server listened to a new kernel: no
              // message ever comes back.
              this.loseNext = false;
              let fail: (reason: Error) => void = () => undefined;
              return {
                onIOPub: null,
                done: new Promise((_, reject) => {
                  fail = reject;
                }),
                dispose: () => fail(new Error('Canceled future'))
              };
            }
            if (cancelNext()) {
              // What a restarting connection does to a pending request.
              this.cancelNext = false;
              return {
                onIOPub: null,
                done: Promise.reject(
                  new Error(
                    'Canceled future for execute_request message before replies were done'
                  )
                )
              };
            }
            return {
              onIOPub: null,
              done: Promise.resolve({ content: { status: 'ok' } }),
              dispose: () => undefined
            };
          }
        }
      }
    };
  }
  executed: string[] = [];
  cancelNext = false;
  loseNext = false;
  metadata: Record<string, unknown> = { trackside: { tracked: true } };
  model = {
    getMetadata: (key: string) => this.metadata[key],
    setMetadata: (key: string, value: unknown) => {
      this.metadata[key] = value;
    }
  };
  sessionContext: {
    ready: Promise<void>;
    path: string;
    statusChanged: Signal<unknown, Kernel.Status>;
    propertyChanged: Signal<unknown, 'path' | 'name' | 'type'>;
    iopubMessage: Signal<unknown, unknown>;
    kernelChanged: Signal<unknown, unknown>;
    disposed: Signal<unknown, void>;
    session: unknown;
  };
  status(status: Kernel.Status): void {
    this.sessionContext.statusChanged.emit(status);
  }
  /**
   * A status message of the kernel process with this session id.
   */
  statusFrom(session: string, status: Kernel.Status): void {
    this.status(status);
    this.sessionContext.iopubMessage.emit({
      header: { session, msg_type: 'status' },
      content: { execution_state: status }
    });
  }
  loads(): number {
    return this.executed.filter(code => code.includes('%load_ext trackside'))
      .length;
  }
}

/**
 * Let pending promise callbacks run (fake timers do not).
 */
async function flushPromises(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

describe('NotebookTracking', () => {
  let panel: FakePanel;
  let lifecycle: KernelLifecycle;
  let tracking: NotebookTracking;

  beforeEach(async () => {
    jest.useFakeTimers();
    PageConfig.setOption('serverRoot', '/srv/root');
    panel = new FakePanel();
    lifecycle = new KernelLifecycle({
      sessionContext: panel.sessionContext as any
    });
    tracking = new NotebookTracking({
      panel: panel as any,
      lifecycle,
      settings: () => ({ trackByDefault: false, autolog: true })
    });
    await Promise.resolve();
    await Promise.resolve();
  });

  afterEach(() => {
    tracking.dispose();
    lifecycle.dispose();
    jest.useRealTimers();
  });

  it('loads Trackside in the kernel of a tracked notebook', () => {
    expect(tracking.isTracked).toBe(true);
    expect(panel.loads()).toBe(1);
    expect(panel.executed[0]).toContain('%mlflow autolog on');
  });

  it('tells the kernel the notebook path at start and after a rename', () => {
    const paths = () =>
      panel.executed.filter(code => code.includes("'mlflow', \"notebook "));
    expect(paths()).toHaveLength(1);
    expect(paths()[0]).toContain("notebook '/srv/root/work/analysis.ipynb'");
    expect(paths()[0]).toContain("if 'trackside' in");

    panel.sessionContext.path = 'work/renamed.ipynb';
    panel.sessionContext.propertyChanged.emit('name');
    expect(paths()).toHaveLength(1);
    panel.sessionContext.propertyChanged.emit('path');
    expect(paths()).toHaveLength(2);
    expect(paths()[1]).toContain("notebook '/srv/root/work/renamed.ipynb'");
  });

  it('loads it again once the restarted kernel is idle', () => {
    panel.status('restarting');
    panel.status('starting');
    expect(panel.loads()).toBe(1);
    panel.status('idle');
    expect(panel.loads()).toBe(2);
    // Later idles and the settle timer do not load it again.
    panel.status('busy');
    panel.status('idle');
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS * 2);
    expect(panel.loads()).toBe(2);
  });

  it('loads it again in a new kernel process its lifecycle noticed by session id', () => {
    // The detection rules are tested on KernelLifecycle; here, that
    // tracking follows them (seen in CI: only the new process's busy/idle).
    panel.statusFrom('first-process', 'busy');
    panel.statusFrom('first-process', 'idle');
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS * 2);
    expect(panel.loads()).toBe(1);
    panel.statusFrom('second-process', 'busy');
    panel.statusFrom('second-process', 'idle');
    expect(panel.loads()).toBe(2);
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS * 2);
    expect(panel.loads()).toBe(2);
  });

  it('loads it in the kernel the notebook changes to', () => {
    panel.sessionContext.kernelChanged.emit({ newValue: { id: 'other' } });
    expect(panel.loads()).toBe(1);
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS);
    expect(panel.loads()).toBe(2);
  });

  it('tries again when the restarting connection drops its request', async () => {
    const failures: string[] = [];
    tracking.failed.connect((_, error) => failures.push(error));
    panel.cancelNext = true;
    panel.status('restarting');
    panel.status('idle'); // an early idle: the request is sent, then dropped
    expect(panel.loads()).toBe(2);
    for (let i = 0; i < 5; i++) {
      await Promise.resolve();
    }
    jest.advanceTimersByTime(NotebookTracking.RETRY_AFTER_MS);
    expect(panel.loads()).toBe(3);
    expect(failures).toEqual([]);
  });

  it('sends it again when the idle kernel never takes the request', async () => {
    const failures: string[] = [];
    tracking.failed.connect((_, error) => failures.push(error));
    panel.loseNext = true;
    panel.status('restarting');
    panel.status('idle');
    expect(panel.loads()).toBe(2);
    jest.advanceTimersByTime(NotebookTracking.LOST_AFTER_MS - 1);
    await flushPromises();
    jest.advanceTimersByTime(NotebookTracking.RETRY_AFTER_MS);
    expect(panel.loads()).toBe(2);
    jest.advanceTimersByTime(1);
    await flushPromises();
    jest.advanceTimersByTime(NotebookTracking.RETRY_AFTER_MS);
    expect(panel.loads()).toBe(3);
    await flushPromises();
    expect(failures).toEqual([]);
  });

  it('does not load it in an untracked notebook', () => {
    panel.metadata = { trackside: { tracked: false } };
    panel.status('restarting');
    jest.advanceTimersByTime(KernelLifecycle.SETTLE_MS);
    panel.status('idle');
    expect(panel.loads()).toBe(1);
  });
});
