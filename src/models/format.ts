import { TranslationBundle } from '@jupyterlab/translation';
import { IBackendStatus, IMetric, IRunInfo } from '../tokens';

/**
 * Text formatting of Trackside entities for display (pure functions).
 */
export namespace Format {
  /**
   * The text describing a backend state, empty when ready.
   */
  export function backendState(
    status: IBackendStatus,
    trans: TranslationBundle
  ): string {
    switch (status.state) {
      case 'starting':
        return trans.__('Starting MLflow server…');
      case 'restarting':
        return trans.__('Restarting…');
      case 'failed':
        return status.message ?? trans.__('The MLflow server failed.');
      case 'unreachable':
        return (
          status.message ?? trans.__('The MLflow server cannot be reached.')
        );
      default:
        return status.healthy ? '' : (status.message ?? '');
    }
  }

  /**
   * The display name of a run: its name, or its id when it has none.
   */
  export function runName(info: IRunInfo): string {
    return info.run_name || info.run_id;
  }

  /**
   * The translated label of an MLflow run status.
   */
  export function runStatus(status: string, trans: TranslationBundle): string {
    switch (status) {
      case 'RUNNING':
        return trans.__('Running');
      case 'SCHEDULED':
        return trans.__('Scheduled');
      case 'FINISHED':
        return trans.__('Finished');
      case 'FAILED':
        return trans.__('Failed');
      case 'KILLED':
        return trans.__('Killed');
      default:
        return status;
    }
  }

  /**
   * The duration of a run in milliseconds, up to `now` while it runs;
   * `null` when unknown.
   */
  export function runDurationMs(info: IRunInfo, now: number): number | null {
    if (info.start_time === null) {
      return null;
    }
    const end =
      info.status === 'RUNNING' || info.end_time === null ? now : info.end_time;
    return Math.max(0, end - info.start_time);
  }

  /**
   * A compact duration, e.g. `<1 s`, `42 s`, `3 min 5 s`, `2 h 10 min`.
   */
  export function duration(ms: number, trans: TranslationBundle): string {
    if (ms < 1000) {
      return trans.__('<1 s');
    }
    const totalSeconds = Math.floor(ms / 1000);
    const hours = Math.floor(totalSeconds / 3600);
    const minutes = Math.floor((totalSeconds % 3600) / 60);
    const seconds = totalSeconds % 60;
    if (hours > 0) {
      return trans.__('%1 h %2 min', hours, minutes);
    }
    if (minutes > 0) {
      return trans.__('%1 min %2 s', minutes, seconds);
    }
    return trans.__('%1 s', seconds);
  }

  /**
   * A date and time in the user's locale.
   */
  export function dateTime(ms: number): string {
    return Private.formats.dateTime.format(ms);
  }

  /**
   * A short date and time relative to `now`: the time alone on the same day,
   * the day and month in the same year, else a short date.
   */
  export function shortDateTime(ms: number, now: number): string {
    const date = new Date(ms);
    const today = new Date(now);
    if (date.toDateString() === today.toDateString()) {
      return Private.formats.time.format(date);
    }
    if (date.getFullYear() === today.getFullYear()) {
      return Private.formats.dayMonth.format(date);
    }
    return Private.formats.date.format(date);
  }

  /**
   * A time relative to `now`, e.g. `just now`, `5 min ago`, `3 h ago`,
   * `2 days ago`; a short date beyond a week.
   */
  export function relativeTime(
    ms: number,
    now: number,
    trans: TranslationBundle
  ): string {
    const seconds = Math.max(0, Math.floor((now - ms) / 1000));
    if (seconds < 45) {
      return trans.__('just now');
    }
    const minutes = Math.max(1, Math.round(seconds / 60));
    if (minutes < 60) {
      return trans._n('%1 min ago', '%1 min ago', minutes);
    }
    const hours = Math.floor(minutes / 60);
    if (hours < 24) {
      return trans._n('%1 h ago', '%1 h ago', hours);
    }
    const days = Math.floor(hours / 24);
    if (days < 7) {
      return trans._n('%1 day ago', '%1 days ago', days);
    }
    return shortDateTime(ms, now);
  }

  /**
   * A compact metric value: at most 4 significant digits, exponent notation
   * for very large or very small magnitudes; integers below a million as is.
   */
  export function metricValue(value: number): string {
    if (Number.isNaN(value)) {
      return 'NaN';
    }
    if (!Number.isFinite(value)) {
      return value > 0 ? '∞' : '−∞';
    }
    const magnitude = Math.abs(value);
    if (magnitude === 0) {
      return '0';
    }
    if (magnitude >= 1e6 || magnitude < 1e-3) {
      // 1.500e+7 -> 1.5e7, 1.235e-5 -> 1.235e-5
      const [mantissa, exponent] = value.toExponential(3).split('e');
      return `${Number(mantissa)}e${Number(exponent)}`;
    }
    if (Number.isInteger(value)) {
      return String(value);
    }
    return String(Number(value.toPrecision(4)));
  }

  /**
   * Orders entries (metrics, params, tags) by key, by code unit as `<` does.
   */
  export function byKey(a: { key: string }, b: { key: string }): number {
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  }

  /**
   * The metrics to show in a summary: sorted by key, at most `count`.
   */
  export function topMetrics(
    metrics: ReadonlyArray<IMetric>,
    count: number
  ): IMetric[] {
    return [...metrics].sort(byKey).slice(0, count);
  }
}

namespace Private {
  /**
   * Date formatters, created once: `toLocaleString` with options builds a
   * formatter per call, too slow for table rows rendered while scrolling.
   */
  export const formats = {
    dateTime: new Intl.DateTimeFormat(undefined, {
      dateStyle: 'short',
      timeStyle: 'medium'
    }),
    time: new Intl.DateTimeFormat(undefined, {
      hour: 'numeric',
      minute: '2-digit'
    }),
    dayMonth: new Intl.DateTimeFormat(undefined, {
      month: 'short',
      day: 'numeric'
    }),
    date: new Intl.DateTimeFormat(undefined, { dateStyle: 'short' })
  };
}
