import { Kernel, KernelMessage } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { seriesId } from '../models/seriesId';
import { IKernelLifecycle, ISeriesStore } from '../tokens';
import { ISyncStatus } from '../tokens/syncStatus';
import { ArrowBytes, decodeMetricStream, ISeriesBatch } from '../wire/decode';
import { ISyncMessage, parseSyncMessage } from './syncStatus';

/**
 * The comm target of the live metric stream.
 */
export const METRICS_TARGET = 'trackside.metrics';

/**
 * The stream protocol version this frontend speaks.
 */
export const PROTOCOL_VERSION = 1;

/**
 * What a channel needs from the backfill scheduler.
 */
export interface IBackfillRequester {
  request(runId: string, key: string): void;
  noteActivity(runId: string, key: string, decimated?: boolean): void;
}

/**
 * The live metric stream of one session context (a notebook's kernel).
 *
 * Registers the `trackside.metrics` comm target on every kernel connection
 * as soon as it exists (before the kernel can open the comm), again for
 * every new kernel process its lifecycle reports, reattaches to a comm the kernel already has
 * open (page reload: from the kernel's comm info, or from the comm's first
 * message when a running cell delays that answer), and removes the target
 * on dispose. Messages are decoded in order into the series store; a `seq`
 * gap, a comm (re)open after a restart or kernel change, a reattach, lost
 * points and decimated messages ask for backfills. The journal's `sync`
 * messages (no buffer, no `seq`) go to the sync status, which forgets this
 * kernel when its comm closes or its kernel changes.
 */
export class MetricCommChannel implements IDisposable {
  /**
   * Create a channel.
   */
  constructor(options: MetricCommChannel.IOptions) {
    this._lifecycle = options.lifecycle;
    this._store = options.store;
    this._backfill = options.backfill;
    this._decode = options.decode ?? decodeMetricStream;
    this._sync = options.sync ?? null;
    this._label = options.label ?? (() => '');
    this._lifecycle.kernelChanged.connect(this._onKernelChanged, this);
    this._lifecycle.disposed.connect(this.dispose, this);
    this._attach(this._lifecycle.kernel);
  }

  /**
   * Whether the channel is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The kernel the target is registered on.
   */
  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }

  /**
   * Resolves when every message received so far is in the store (tests).
   */
  get processed(): Promise<void> {
    return this._queue;
  }

  /**
   * Dispose of the channel: the target is removed from the kernel.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._detach();
    this._sync?.delete(this);
    this._lifecycle.kernelChanged.disconnect(this._onKernelChanged, this);
    this._lifecycle.disposed.disconnect(this.dispose, this);
  }

  private _onKernelChanged(
    _: IKernelLifecycle,
    change: IKernelLifecycle.IChange
  ): void {
    if (change.reason === 'restart' && change.kernel === this._kernel) {
      this._onRestart();
      return;
    }
    this._convergeSeen();
    this._detach();
    this._attach(change.kernel);
  }

  /**
   * A new process of the same kernel: its comms are gone, and what the old
   * one streamed converges from MLflow.
   */
  private _onRestart(): void {
    this._convergeSeen();
    this._sync?.delete(this);
    this._comm = null;
    this._expectedSeq = null;
    this._afterRestart = true;
    // Registered again for the new kernel process (idempotent).
    this._kernel?.registerCommTarget(METRICS_TARGET, this._onCommOpen);
  }

  private _attach(kernel: Kernel.IKernelConnection | null): void {
    if (this._isDisposed || !kernel) {
      return;
    }
    this._kernel = kernel;
    this._afterRestart = this._afterRestart || this._everAttached;
    this._everAttached = true;
    kernel.registerCommTarget(METRICS_TARGET, this._onCommOpen);
    kernel.iopubMessage.connect(this._onIOPubMessage, this);
    void this._reattach(kernel);
  }

  private _detach(): void {
    const kernel = this._kernel;
    this._kernel = null;
    this._comm = null;
    this._expectedSeq = null;
    this._sync?.delete(this);
    if (!kernel) {
      return;
    }
    kernel.iopubMessage.disconnect(this._onIOPubMessage, this);
    if (!kernel.isDisposed) {
      kernel.removeCommTarget(METRICS_TARGET, this._onCommOpen);
    }
  }

  /**
   * Adopt a comm the kernel already has open (e.g. after a page reload).
   */
  private async _reattach(kernel: Kernel.IKernelConnection): Promise<void> {
    let reply: KernelMessage.ICommInfoReplyMsg;
    try {
      reply = await kernel.requestCommInfo({ target_name: METRICS_TARGET });
    } catch {
      return; // no kernel, or one without comm support: nothing to adopt
    }
    if (this._isDisposed || this._kernel !== kernel) {
      return;
    }
    const content = reply.content;
    if (content.status !== 'ok') {
      return;
    }
    for (const [commId, info] of Object.entries(content.comms)) {
      if (info.target_name !== METRICS_TARGET || kernel.hasComm(commId)) {
        continue;
      }
      const comm = kernel.createComm(METRICS_TARGET, commId);
      // Messages were missed: the next ones backfill their series.
      this._use(comm, null, true);
    }
  }

  /**
   * Adopt the stream's comm from its first message this page sees, when the
   * kernel opened it before this page existed (a reload while a cell runs:
   * the `comm_info_request` of `_reattach` waits behind the running cell).
   * The connection has already dropped the message for want of a comm with
   * that id, so it is handled here.
   */
  private _onIOPubMessage(
    kernel: Kernel.IKernelConnection,
    msg: KernelMessage.IIOPubMessage
  ): void {
    if (
      this._isDisposed ||
      this._comm ||
      kernel !== this._kernel ||
      msg.header.msg_type !== 'comm_msg'
    ) {
      return;
    }
    const content = (msg as KernelMessage.ICommMsgMsg).content;
    const data = content.data as { stream?: unknown } | undefined;
    if (data?.stream !== METRICS_TARGET || kernel.hasComm(content.comm_id)) {
      return;
    }
    const comm = kernel.createComm(METRICS_TARGET, content.comm_id);
    this._use(comm, null, true);
    comm.onMsg(msg as KernelMessage.ICommMsgMsg);
  }

  private _onCommOpen = (
    comm: Kernel.IComm,
    msg: KernelMessage.ICommOpenMsg
  ): void => {
    if (this._isDisposed) {
      return;
    }
    const data = msg.content.data as Partial<MetricCommChannel.IHello>;
    const version = (msg.metadata as { version?: unknown } | undefined)
      ?.version;
    if (
      (version !== undefined && version !== PROTOCOL_VERSION) ||
      (data.version !== undefined && data.version !== PROTOCOL_VERSION)
    ) {
      console.warn(
        `Trackside: unsupported metric stream version ${String(version ?? data.version)}`
      );
      comm.close();
      return;
    }
    const next = typeof data.seq === 'number' ? data.seq : null;
    // A comm reopened mid-session (seq > 1) or after a restart missed points.
    const missed = this._afterRestart || (next !== null && next > 1);
    this._afterRestart = false;
    this._use(comm, next, missed);
  };

  private _use(
    comm: Kernel.IComm,
    expectedSeq: number | null,
    missed: boolean
  ): void {
    this._comm = comm;
    this._expectedSeq = expectedSeq;
    this._backfillNext = missed;
    comm.onMsg = msg => {
      if (this._comm !== comm) {
        return;
      }
      const data = msg.content.data as unknown as MetricCommChannel.IMessage;
      const buffer = msg.buffers?.[0];
      this._queue = this._queue.then(() => this._handle(comm, data, buffer));
    };
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
        this._expectedSeq = null;
        this._convergeSeen();
        this._sync?.delete(this);
      }
    };
  }

  private async _handle(
    comm: Kernel.IComm,
    data: MetricCommChannel.IMessage,
    buffer: ArrowBytes | undefined
  ): Promise<void> {
    if (this._isDisposed || !data || typeof data !== 'object') {
      return;
    }
    if (data.type === 'hello') {
      if (typeof data.seq === 'number') {
        this._expectedSeq = data.seq;
      }
      return;
    }
    if (data.type === 'sync') {
      // Not part of the points sequence: no seq, no buffer.
      const status = parseSyncMessage(data);
      if (status) {
        this._sync?.set(this, this._label(), status);
      }
      return;
    }
    if (data.type !== 'points') {
      return;
    }
    const seq = typeof data.seq === 'number' ? data.seq : null;
    const gap =
      seq !== null && this._expectedSeq !== null && seq !== this._expectedSeq;
    if (seq !== null) {
      this._expectedSeq = seq + 1;
    }
    let batches: ISeriesBatch[] = [];
    if (buffer) {
      try {
        batches = await this._decode(buffer);
      } catch (reason) {
        console.warn('Trackside: undecodable metric stream message', reason);
        this._convergeSeen();
        return;
      }
    }
    if (this._isDisposed) {
      return;
    }
    const decimated = data.decimated === true;
    const backfillAll = gap || data.lost_all === true;
    const backfillBatch = decimated || this._backfillNext || backfillAll;
    this._backfillNext = false;
    if (backfillAll) {
      this._convergeSeen();
    }
    for (const batch of batches) {
      this._store.append(batch.runId, batch.key, batch, { decimated });
      this._seen.set(seriesId(batch.runId, batch.key), [
        batch.runId,
        batch.key
      ]);
      this._backfill.noteActivity(batch.runId, batch.key, decimated);
      if (backfillBatch) {
        this._backfill.request(batch.runId, batch.key);
      }
    }
    if (Array.isArray(data.lost)) {
      for (const pair of data.lost) {
        if (Array.isArray(pair) && pair.length === 2) {
          this._backfill.request(String(pair[0]), String(pair[1]));
        }
      }
    }
  }

  /**
   * Backfill every series this channel streamed (after a restart, a closed
   * comm or a gap of unknown extent).
   */
  private _convergeSeen(): void {
    for (const [runId, key] of this._seen.values()) {
      this._backfill.request(runId, key);
    }
  }

  private _lifecycle: IKernelLifecycle;
  private _store: ISeriesStore;
  private _backfill: IBackfillRequester;
  private _decode: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
  private _sync: ISyncStatus | null;
  private _label: () => string;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _expectedSeq: number | null = null;
  private _backfillNext = false;
  private _afterRestart = false;
  private _everAttached = false;
  private _seen = new Map<string, [string, string]>();
  private _queue: Promise<void> = Promise.resolve();
  private _isDisposed = false;
}

/**
 * A namespace for `MetricCommChannel` statics.
 */
export namespace MetricCommChannel {
  /**
   * The options to create a channel.
   */
  export interface IOptions {
    /**
     * The kernel lifecycle of the notebook's session context.
     */
    lifecycle: IKernelLifecycle;
    store: ISeriesStore;
    backfill: IBackfillRequester;
    /**
     * The Arrow decoder (the lazy `apache-arrow` one by default).
     */
    decode?: (bytes: ArrowBytes) => Promise<ISeriesBatch[]>;
    /**
     * Where the journal's `sync` messages go; ignored without.
     */
    sync?: ISyncStatus | null;
    /**
     * The name the sync status shows for this kernel (the notebook's).
     */
    label?: () => string;
  }

  /**
   * The data of the comm open message.
   */
  export interface IHello {
    type: 'hello';
    version: number;
    /**
     * The seq of the next points message.
     */
    seq?: number;
  }

  /**
   * The data of a points message; its one buffer is an Arrow IPC stream.
   */
  export interface IPoints {
    type: 'points';
    seq: number;
    decimated: boolean;
    points: number;
    dropped_exact?: number;
    lost?: [string, string][];
    lost_all?: boolean;
  }

  /**
   * Any message of the stream.
   */
  export type IMessage = IHello | IPoints | ISyncMessage;
}
