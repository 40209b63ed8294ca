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
