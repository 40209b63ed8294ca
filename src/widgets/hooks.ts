import { ISignal } from '@lumino/signaling';
import * as React from 'react';
import { TracksideModel } from '../models/tracksideModel';

/**
 * The current time in milliseconds, ticking every `period` milliseconds while
 * `enabled` (and not at all otherwise, so hidden panels do no work).
 */
export function useNow(enabled: boolean, period: number): number {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    if (!enabled) {
      return;
    }
    setNow(Date.now());
    const handle = setInterval(() => setNow(Date.now()), period);
    return () => clearInterval(handle);
  }, [enabled, period]);
  return now;
}

/**
 * Whether the model is active (its panel visible), following `activeChanged`.
 */
export function useIsActive(model: TracksideModel): boolean {
  const [active, setActive] = React.useState(model.isActive);
  React.useEffect(() => {
    const onChanged = (_: TracksideModel, value: boolean): void => {
      setActive(value);
    };
    setActive(model.isActive);
    model.activeChanged.connect(onChanged);
    return () => {
      model.activeChanged.disconnect(onChanged);
    };
  }, [model]);
  return active;
}

/**
 * Re-render whenever `signal` is emitted; returns a counter that changes
 * with each emission (usable as an effect dependency).
 */
export function useSignalVersion(signal: ISignal<unknown, unknown>): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onEmitted = () => setVersion(v => v + 1);
    signal.connect(onEmitted);
    return () => {
      signal.disconnect(onEmitted);
    };
  }, [signal]);
  return version;
}
