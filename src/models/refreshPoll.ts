import { Poll } from '@lumino/polling';

/**
 * Refresh a poll now and wait for that tick to settle. Resolves once it is
 * done (or at once when the poll is disposed); never rejects: a failed tick
 * is the poll's to back off from.
 */
export async function refreshPoll(poll: Poll): Promise<void> {
  if (poll.isDisposed) {
    return;
  }
  await poll.refresh();
  if (poll.isDisposed) {
    return;
  }
  await poll.tick.catch(() => undefined);
}
