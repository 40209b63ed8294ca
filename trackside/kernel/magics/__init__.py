"""The ``%%mlflow`` cell magic and the ``%mlflow SUBCOMMAND`` line magics.

``commands`` registers both; ``cell`` runs a cell inside a run (``cell_body`` executes its
body the way IPython runs a cell); ``summary`` and ``status`` are what they display.
"""
