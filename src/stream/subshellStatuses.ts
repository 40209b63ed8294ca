import { PageConfig } from '@jupyterlab/coreutils';

/**
 * The kernel subshell requests JupyterLab makes on its own, over the control
 * channel, to run comms on subshells.
 */
export const SUBSHELL_REQUEST_TYPES: ReadonlyArray<string> = [
  'create_subshell_request',
  'delete_subshell_request',
  'list_subshell_request'
];

/**
 * Keep the kernel's busy/idle answers to subshell requests out of the kernel
 * status the page shows.
 *
 * When a kernel opens a comm (Trackside's metric stream opens one on a tracked
 * cell's first metric), JupyterLab creates a subshell for its target. The
 * kernel answers on the control channel, in parallel with the running cell,
 * with busy then idle; JupyterLab takes that idle for the kernel's status (the
 * status bar says "Idle" while the cell runs) because the subshell requests
 * are missing from the `untracked_message_types` it filters statuses with
 * (Jupyter Server's default list, documented as covering every message not
 * sent on the shell channel, predates subshells).
 */
export function untrackSubshellStatuses(): void {
  const current = Private.untrackedTypes();
  const missing = SUBSHELL_REQUEST_TYPES.filter(t => !current.includes(t));
  if (missing.length > 0) {
    PageConfig.setOption(
      'untracked_message_types',
      JSON.stringify([...current, ...missing])
    );
  }
}

namespace Private {
  /**
   * The message types whose statuses JupyterLab ignores (a JSON list).
   */
  export function untrackedTypes(): string[] {
    try {
      const value: unknown = JSON.parse(
        PageConfig.getOption('untracked_message_types') || '[]'
      );
      return Array.isArray(value)
        ? value.filter((t): t is string => typeof t === 'string')
        : [];
    } catch {
      return [];
    }
  }
}
