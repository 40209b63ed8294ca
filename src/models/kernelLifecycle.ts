import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { IKernelLifecycle, IKernelLifecycles } from '../tokens';

/**
 * The kernel lifecycle of one session context: the one place where Trackside
 * decides that a new kernel process is behind a notebook.
 *
 * The rules, each from something seen in CI:
 * - the session's kernel connection changes: `start` (its first kernel) or
 *   `switch` (another kernel, or none);
 * - a restart status (`restarting`, `autorestarting`, or the `starting` a new
 *   process announces, whoever restarted it): `restart`;
 * - a status message from a kernel session id never seen on this connection:
 *   `restart`, since the page does not always see the restart statuses (after
 *   a restart by the REST API it may see only the new process's busy/idle).
 *   Every id is remembered, so the Jupyter server's own status messages (its
 *   session id) count once, not at every switch back and forth.
 * Signs that follow a change before it settles belong to the same process.
 * A change settles on the first `idle`, or `settleMs` after its last sign:
 * after a restart by another client the page may only reconnect, and the
 * new process's `idle` come before the new websocket (or only as the status
 * of an untracked request, which the connection ignores).
 */
export class KernelLifecycle implements IKernelLifecycle {
  /**
   * Create the lifecycle of a session context; it is disposed with it.
   */
  constructor(options: KernelLifecycle.IOptions) {
    this.sessionContext = options.sessionContext;
    this._settleMs = options.settleMs ?? KernelLifecycle.SETTLE_MS;
    const context = this.sessionContext;
    this._kernel = context.session?.kernel ?? null;
    this._hadKernel = this._kernel !== null;
    context.kernelChanged.connect(this._onKernelChanged, this);
    context.statusChanged.connect(this._onStatusChanged, this);
    context.iopubMessage.connect(this._onIOPubMessage, this);
    context.disposed.connect(this.dispose, this);
  }

  /**
   * The session context this lifecycle follows.
   */
  readonly sessionContext: KernelLifecycle.IContext;

  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }

  get kernelChanged(): ISignal<this, IKernelLifecycle.IChange> {
    return this._kernelChanged;
  }

  get kernelSettled(): ISignal<this, IKernelLifecycle.IChange> {
    return this._kernelSettled;
  }

  get disposed(): ISignal<this, void> {
    return this._disposed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._settleTimer);
    const context = this.sessionContext;
    context.kernelChanged.disconnect(this._onKernelChanged, this);
    context.statusChanged.disconnect(this._onStatusChanged, this);
    context.iopubMessage.disconnect(this._onIOPubMessage, this);
    context.disposed.disconnect(this.dispose, this);
    this._disposed.emit();
    Signal.clearData(this);
  }

  private _onKernelChanged(
    _: unknown,
    change: { newValue: Kernel.IKernelConnection | null }
  ): void {
    const reason = this._hadKernel ? 'switch' : 'start';
    this._kernel = change.newValue;
    this._hadKernel = this._hadKernel || change.newValue !== null;
    this._sessions.clear();
    this._begin({ reason, kernel: change.newValue });
  }

  private _onStatusChanged(_: unknown, status: Kernel.Status): void {
    if (
      status === 'restarting' ||
      status === 'autorestarting' ||
      status === 'starting'
    ) {
      this._restartSign();
    } else if (status === 'idle') {
      this._settle();
    }
  }

  private _onIOPubMessage(_: unknown, msg: KernelMessage.IMessage): void {
    const session = msg.header.session;
    if (
      msg.header.msg_type !== 'status' ||
      !session ||
      this._sessions.has(session)
    ) {
      return;
    }
    const seenBefore = this._sessions.size > 0;
    this._sessions.add(session);
    if (seenBefore) {
      this._restartSign();
    }
  }

  private _restartSign(): void {
    if (this._isDisposed || !this._kernel) {
      return;
    }
    if (this._settling) {
      this._armSettleTimer(); // the same new process
      return;
    }
    this._begin({ reason: 'restart', kernel: this._kernel });
  }

  private _begin(change: IKernelLifecycle.IChange): void {
    clearTimeout(this._settleTimer);
    this._settling = change.kernel ? change : null;
    this._kernelChanged.emit(change);
    if (this._settling) {
      this._armSettleTimer();
    }
  }

  private _armSettleTimer(): void {
    clearTimeout(this._settleTimer);
    this._settleTimer = setTimeout(() => this._settle(), this._settleMs);
  }

  private _settle(): void {
    clearTimeout(this._settleTimer);
    const change = this._settling;
    if (!change || this._isDisposed) {
      return;
    }
    this._settling = null;
    this._kernelSettled.emit(change);
  }

  private _settleMs: number;
  private _kernel: Kernel.IKernelConnection | null;
  private _hadKernel: boolean;
  private _sessions = new Set<string>();
  private _settling: IKernelLifecycle.IChange | null = null;
  private _settleTimer: ReturnType<typeof setTimeout> | undefined;
  private _isDisposed = false;
  private _kernelChanged = new Signal<this, IKernelLifecycle.IChange>(this);
  private _kernelSettled = new Signal<this, IKernelLifecycle.IChange>(this);
  private _disposed = new Signal<this, void>(this);
}

/**
 * A namespace for `KernelLifecycle` statics.
 */
export namespace KernelLifecycle {
  /**
   * How long after the last sign of a new process it is taken as settled
   * when no `idle` came first (ms).
   */
  export const SETTLE_MS = 1000;

  /**
   * What a lifecycle needs from a session context.
   */
  export type IContext = Pick<
    ISessionContext,
    'session' | 'kernelChanged' | 'statusChanged' | 'iopubMessage' | 'disposed'
  >;

  /**
   * The options to create a lifecycle.
   */
  export interface IOptions {
    sessionContext: IContext;
    /**
     * See `SETTLE_MS`.
     */
    settleMs?: number;
  }
}

/**
 * The lifecycles of every session context, one each.
 */
export class KernelLifecycles implements IKernelLifecycles {
  get(sessionContext: ISessionContext): KernelLifecycle {
    let lifecycle = this._lifecycles.get(sessionContext);
    if (!lifecycle || lifecycle.isDisposed) {
      lifecycle = new KernelLifecycle({ sessionContext });
      this._lifecycles.set(sessionContext, lifecycle);
      lifecycle.disposed.connect(() => {
        this._lifecycles.delete(sessionContext);
      });
    }
    return lifecycle;
  }

  private _lifecycles = new Map<ISessionContext, KernelLifecycle>();
}
