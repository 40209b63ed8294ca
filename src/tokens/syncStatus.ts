import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

/**
 * The sync status token: per notebook kernel, the points its durable
 * journal still has to send to MLflow (the kernel's `sync` messages on the
 * `trackside.metrics` comm).
 */
export const ISyncStatus = new Token<ISyncStatus>(
  'jupyterlab-trackside:ISyncStatus',
  'Per notebook kernel, the points waiting in its journal to reach MLflow'
);

/**
 * The sync status of every notebook kernel that reported one.
 */
export interface ISyncStatus {
  /**
   * Emitted when a kernel's status changes or a kernel goes away.
   */
  readonly changed: ISignal<ISyncStatus, void>;

  /**
   * The kernels with points waiting to sync (backlog > 0), in the order
   * they first reported.
   */
  readonly waiting: ReadonlyArray<ISyncStatus.IEntry>;

  /**
   * Record the latest status of a kernel (its channel is the key).
   */
  set(key: object, label: string, status: ISyncStatus.IStatus): void;

  /**
   * Forget a kernel (its notebook closed, its kernel changed or restarted).
   */
  delete(key: object): void;
}

/**
 * A namespace for the sync status types.
 */
export namespace ISyncStatus {
  /**
   * One `sync` message of the kernel's journal.
   */
  export interface IStatus {
    /**
     * Points in the journal not yet accepted by MLflow.
     */
    readonly backlog: number;
    /**
     * Points sent since the kernel started.
     */
    readonly sent: number;
    /**
     * Points MLflow refused for good (kept aside, never retried).
     */
    readonly deadLettered: number;
    /**
     * Whether the sender is working through the backlog right now.
     */
    readonly draining: boolean;
    /**
     * Why the last send failed, or `null`.
     */
    readonly lastError: string | null;
  }

  /**
   * The status of one kernel.
   */
  export interface IEntry {
    /**
     * A stable id for the kernel's row (React key).
     */
    readonly id: number;
    /**
     * The notebook's name.
     */
    readonly label: string;
    readonly status: IStatus;
    /**
     * The points of the current backlog episode: sent since the backlog
     * last rose above 0, plus those still waiting (the progress bar's
     * maximum; its value is this minus the backlog).
     */
    readonly drainTotal: number;
  }
}
