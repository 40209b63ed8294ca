import { TranslationBundle } from '@jupyterlab/translation';

/**
 * MLflow's rules for an alias name, for immediate feedback while typing
 * (the server validates again and is authoritative): not empty, word
 * characters and dashes only, at most 255 characters, not `latest` and not
 * `v<digits>` (both reserved for version references).
 *
 * @returns the problem, `null` for a valid alias.
 */
export function aliasProblem(
  alias: string,
  trans: TranslationBundle
): string | null {
  if (alias === '') {
    return trans.__('Registered model alias name cannot be empty.');
  }
  if (!Private.ALIAS.test(alias)) {
    return trans.__(
      "Invalid alias name: '%1'. Names may only contain alphanumerics, underscores (_), and dashes (-).",
      alias
    );
  }
  if ([...alias].length > Private.MAX_LENGTH) {
    return trans.__(
      'Registered model alias name exceeds the maximum length of %1 characters.',
      Private.MAX_LENGTH
    );
  }
  if (alias.toLowerCase() === 'latest') {
    return trans.__("'latest' alias name (case insensitive) is reserved.");
  }
  if (Private.VERSION.test(alias)) {
    return trans.__("Version alias name '%1' is reserved.", alias);
  }
  return null;
}

namespace Private {
  /**
   * Python's `^[\w\-]*$` (Unicode word characters and dashes) in JS.
   */
  export const ALIAS = /^[\p{L}\p{N}_-]+$/u;

  /**
   * Aliases MLflow reserves for version references, like `v3`.
   */
  export const VERSION = /^[vV]\d+$/;

  export const MAX_LENGTH = 255;
}
