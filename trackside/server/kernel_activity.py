"""Kernel messages that must not change the execution state Jupyter Server records.

JupyterLab 4.6 runs comms on kernel subshells: opening Trackside's metric comm makes
it send ``create_subshell_request`` (later ``delete_``/``list_``) on the control
channel, and the kernel answers with a busy/idle status pair while a cell is still
running. Jupyter Server sets a kernel's ``execution_state`` from the status of every
message type not in ``untracked_message_types``, so without this the kernel reads
"idle" mid-cell (in ``GET /api/kernels``, and to the idle culler).

JupyterLab copies the same list into its page config when it loads (before
Trackside, extensions load in name order), so the frontend still adds these types
itself; that also covers Notebook 7 and servers without this extension.
"""

from __future__ import annotations

from typing import Any

SUBSHELL_MESSAGE_TYPES = (
    "create_subshell_request",
    "delete_subshell_request",
    "list_subshell_request",
)


def untrack_subshell_messages(kernel_manager: Any) -> None:
    """Append the subshell requests to the kernel manager's untracked types, once."""
    current = getattr(kernel_manager, "untracked_message_types", None)
    if current is None:  # a kernel manager without activity tracking
        return
    missing = [name for name in SUBSHELL_MESSAGE_TYPES if name not in current]
    if missing:
        kernel_manager.untracked_message_types = [*current, *missing]
