import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import { IObservableDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

/**
 * The kernel lifecycles token: one lifecycle object per session context,
 * shared by every consumer (tracking, the metric stream, the toolbar).
 */
export const IKernelLifecycles = new Token<IKernelLifecycles>(
  'jupyterlab-trackside:IKernelLifecycles',
  'One kernel-lifecycle object per notebook session: first start, restart and kernel switch, detected by one rule set'
);

/**
 * The kernel lifecycle of every session context.
 */
export interface IKernelLifecycles {
  /**
   * The lifecycle of a session context (created on first use, disposed
   * with the context).
   */
  get(sessionContext: ISessionContext): IKernelLifecycle;
}

/**
 * When the kernel process behind a session changes, and when the new one can
 * take requests.
 */
export interface IKernelLifecycle extends IObservableDisposable {
  /**
   * The session's kernel connection, or `null`.
   */
  readonly kernel: Kernel.IKernelConnection | null;

  /**
   * Emitted once per kernel process new to this page, as soon as it is
   * noticed (a restart: possibly before the new process runs); and when the
   * session is left without a kernel.
   */
  readonly kernelChanged: ISignal<IKernelLifecycle, IKernelLifecycle.IChange>;

  /**
   * Emitted once after each `kernelChanged` to a kernel, when the new
   * process can take requests: its first `idle`, or a moment after the last
   * sign of it when no `idle` reaches the page.
   */
  readonly kernelSettled: ISignal<IKernelLifecycle, IKernelLifecycle.IChange>;
}

/**
 * A namespace for the kernel lifecycle types.
 */
export namespace IKernelLifecycle {
  /**
   * Why the kernel process changed:
   * - `start`: the session's first kernel;
   * - `switch`: the session changed to another kernel, or to none;
   * - `restart`: a new process of the same kernel (restarted by this page,
   *   another client, the REST API or the server's auto-restart).
   */
  export type Reason = 'start' | 'switch' | 'restart';

  /**
   * A kernel process change.
   */
  export interface IChange {
    readonly reason: Reason;
    /**
     * The kernel connection; `null` when a switch left the session without
     * a kernel.
     */
    readonly kernel: Kernel.IKernelConnection | null;
  }
}
