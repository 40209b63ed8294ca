/**
 * The message of a failure: an error's own message, or the rejected value
 * as text.
 */
export function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
