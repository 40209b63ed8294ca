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
      id: Normalize.string(raw.id),
      name: Normalize.string(raw.name),
      version: Normalize.string(raw.version),
      model_uri: Normalize.string(raw.model_uri),
      // An unknown state cannot be used: show it as failed, with the
      // server's message.
      state: state ?? 'failed',
      port: Normalize.finiteOrNull(raw.port),
      pid: Normalize.finiteOrNull(raw.pid),
      started_at: Normalize.finiteOrNull(raw.started_at),
      ready_at: Normalize.finiteOrNull(raw.ready_at),
      message:
        (Normalize.stringOrNull(raw.message) || null) ??
        (state ? null : `Unknown state: ${Normalize.string(raw.state)}`),
      log_tail: Normalize.string(raw.log_tail)
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
      error_code: Normalize.string(raw.error_code),
      message: Normalize.string(raw.message) || JSON.stringify(value)
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
      status: Normalize.finiteOrNull(raw.status) ?? 0,
      latency_ms: Normalize.finiteOrNull(raw.latency_ms),
      has_predictions: hasPredictions,
      predictions: hasPredictions ? raw.predictions : undefined,
      error: error(raw.error)
    };
  }
}
