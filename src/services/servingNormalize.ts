import {
  IPredictResult,
  IServedModel,
  IServingError,
  ServedState
} from '../tokens';
import { Normalize } from './normalize';

/**
 * Normalisers from the serving endpoints' JSON (`/trackside/api/serving`)
 * to the typed serving entities: missing or mistyped fields become empty
 * strings, `null`s and known states, never `undefined`.
 */
export namespace ServingNormalize {
  /**
   * The states a served model can be in.
   */
  export const STATES: ReadonlyArray<ServedState> = [
    'starting',
    'ready',
    'failed',
    'stopped'
  ];

  /**
   * Normalise a served model.
   */
  export function served(value: unknown): IServedModel {
    const raw = Normalize.record(value);
    const state = STATES.find(s => s === raw.state);
    return {
      id: Private.string(raw.id),
      name: Private.string(raw.name),
      version: Private.string(raw.version),
      model_uri: Private.string(raw.model_uri),
      // An unknown state cannot be used: show it as failed, with the
      // server's message.
      state: state ?? 'failed',
      port: Private.numberOrNull(raw.port),
      pid: Private.numberOrNull(raw.pid),
      started_at: Private.numberOrNull(raw.started_at),
      ready_at: Private.numberOrNull(raw.ready_at),
      message:
        Private.stringOrNull(raw.message) ??
        (state ? null : `Unknown state: ${Private.string(raw.state)}`),
      log_tail: Private.string(raw.log_tail)
    };
  }

  /**
   * Normalise the list answer `{served: [...]}`.
   */
  export function servedList(value: unknown): IServedModel[] {
    return Normalize.array(Normalize.record(value).served).map(served);
  }

  /**
   * Normalise an MLflow-shaped error; `null` when there is none.
   */
  export function error(value: unknown): IServingError | null {
    if (value === undefined || value === null) {
      return null;
    }
    if (typeof value === 'string') {
      return { error_code: '', message: value };
    }
    const raw = Normalize.record(value);
    return {
      error_code: Private.string(raw.error_code),
      message: Private.string(raw.message) || JSON.stringify(value)
    };
  }

  /**
   * Normalise a relayed predict answer.
   */
  export function predictResult(value: unknown): IPredictResult {
    const raw = Normalize.record(value);
    const hasPredictions = Object.prototype.hasOwnProperty.call(
      raw,
      'predictions'
    );
    return {
      status: Private.numberOrNull(raw.status) ?? 0,
      latency_ms: Private.numberOrNull(raw.latency_ms),
      has_predictions: hasPredictions,
      predictions: hasPredictions ? raw.predictions : undefined,
      error: error(raw.error)
    };
  }
}

namespace Private {
  export function string(value: unknown): string {
    if (typeof value === 'string') {
      return value;
    }
    if (typeof value === 'number') {
      return String(value);
    }
    return '';
  }

  export function stringOrNull(value: unknown): string | null {
    return typeof value === 'string' && value !== '' ? value : null;
  }

  export function numberOrNull(value: unknown): number | null {
    const result =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && value.trim() !== ''
          ? Number(value)
          : NaN;
    return Number.isFinite(result) ? result : null;
  }
}
