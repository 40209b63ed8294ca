import { IBackfill, IRun } from '../tokens';

/**
 * Keeps the series of a run that no kernel streams (a run of `mlflow run`,
 * a script in a terminal) moving, from successive reads of the run.
 *
 * Each read of the run gives the latest value of every metric: one that
 * changed while the run is RUNNING and not streaming asks the backfill for
 * an incremental read of its history (the points from the last step on).
 * When the run is seen ending, every series gets one exact backfill, so the
 * charts converge to what MLflow holds. A run fed by a kernel's live stream
 * gets nothing extra: the stream and its own backfills cover it. Metrics
 * seen for the first time ask for nothing: their chart loads them.
 */
export class HistoryFollower {
  /**
   * Create the follower of a run.
   */
  constructor(options: HistoryFollower.IOptions) {
    this.runId = options.runId;
    this._backfill = options.backfill;
  }

  /**
   * The run followed.
   */
  readonly runId: string;

  /**
   * Whether the run needs following: running, with no live stream.
   */
  isFollowing(run: IRun | null): boolean {
    return (
      run !== null &&
      run.info.status === 'RUNNING' &&
      !this._backfill.isStreaming(this.runId)
    );
  }

  /**
   * Take a new read of the run into account.
   */
  update(run: IRun): void {
    const following = this.isFollowing(run);
    for (const metric of run.data.metrics) {
      const stamp = `${metric.step}|${metric.timestamp}|${metric.value}`;
      const previous = this._latest.get(metric.key);
      this._latest.set(metric.key, stamp);
      if (following && previous !== undefined && previous !== stamp) {
        this._backfill.request(this.runId, metric.key, { incremental: true });
      }
    }
    const running = run.info.status === 'RUNNING';
    if (this._wasRunning && !running) {
      for (const key of this._latest.keys()) {
        this._backfill.request(this.runId, key);
      }
    }
    this._wasRunning = running;
  }

  private _backfill: IBackfill;
  // The latest value of each metric key, as `step|timestamp|value`.
  private _latest = new Map<string, string>();
  private _wasRunning = false;
}

/**
 * A namespace for `HistoryFollower` statics.
 */
export namespace HistoryFollower {
  /**
   * The options to create a follower.
   */
  export interface IOptions {
    runId: string;
    backfill: IBackfill;
  }
}
