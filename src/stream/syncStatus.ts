import { ISignal, Signal } from '@lumino/signaling';
import { ISyncStatus } from '../tokens/syncStatus';

/**
 * The data of a `sync` message of the `trackside.metrics` stream (no
 * buffer): the kernel journal's backlog, sent when it changes (at most
 * twice a second) and once when it reaches 0.
 */
export interface ISyncMessage {
  type: 'sync';
  stream?: string;
  backlog: number;
  sent: number;
  dead_lettered: number;
  draining: boolean;
  last_error: string | null;
}

/**
 * Read a `sync` message; `null` when it is not one or a count is not a
 * non-negative integer (the message is then ignored, never half-applied).
 */
export function parseSyncMessage(data: unknown): ISyncStatus.IStatus | null {
  if (!data || typeof data !== 'object') {
    return null;
  }
  const message = data as Partial<Record<keyof ISyncMessage, unknown>>;
  if (message.type !== 'sync') {
    return null;
  }
  const { backlog, sent, dead_lettered, draining, last_error } = message;
  if (
    !isCount(backlog) ||
    !isCount(sent) ||
    !isCount(dead_lettered ?? 0) ||
    typeof draining !== 'boolean'
  ) {
    return null;
  }
  return {
    backlog,
    sent,
    deadLettered: (dead_lettered as number | undefined) ?? 0,
    draining,
    lastError:
      typeof last_error === 'string' && last_error.trim() ? last_error : null
  };
}

/**
 * The sync status of every notebook kernel: the latest `sync` message of
 * each stream channel. No DOM.
 */
export class SyncStatusModel implements ISyncStatus {
  /**
   * Emitted when a kernel's status changes or a kernel goes away.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The kernels with points waiting to sync, in the order they first
   * reported.
   */
  get waiting(): ReadonlyArray<ISyncStatus.IEntry> {
    if (this._waiting === null) {
      this._waiting = Array.from(this._entries.values()).filter(
        entry => entry.status.backlog > 0
      );
    }
    return this._waiting;
  }

  /**
   * Record the latest status of a kernel.
   */
  set(key: object, label: string, status: ISyncStatus.IStatus): void {
    const previous = this._entries.get(key);
    if (
      previous &&
      previous.label === label &&
      sameStatus(previous.status, status)
    ) {
      return;
    }
    // A backlog episode starts when the backlog rises above 0; what was
    // sent before does not count towards its progress.
    const sentAtStart =
      previous && previous.status.backlog > 0
        ? previous.sentAtStart
        : status.sent;
    this._entries.set(key, {
      id: previous?.id ?? ++this._lastId,
      label,
      status,
      sentAtStart,
      drainTotal: Math.max(0, status.sent - sentAtStart) + status.backlog
    });
    this._waiting = null;
    this._changed.emit(undefined);
  }

  /**
   * Forget a kernel.
   */
  delete(key: object): void {
    if (this._entries.delete(key)) {
      this._waiting = null;
      this._changed.emit(undefined);
    }
  }

  private _entries = new Map<object, Private.IRecord>();
  private _waiting: ReadonlyArray<ISyncStatus.IEntry> | null = null;
  private _lastId = 0;
  private _changed = new Signal<this, void>(this);
}

namespace Private {
  /**
   * A kernel's entry and the `sent` count its backlog episode started at.
   */
  export interface IRecord extends ISyncStatus.IEntry {
    readonly sentAtStart: number;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function sameStatus(a: ISyncStatus.IStatus, b: ISyncStatus.IStatus): boolean {
  return (
    a.backlog === b.backlog &&
    a.sent === b.sent &&
    a.deadLettered === b.deadLettered &&
    a.draining === b.draining &&
    a.lastError === b.lastError
  );
}
