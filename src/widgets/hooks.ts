import * as React from 'react';

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
