"""Auto-capture: which params and metrics a cell produced, and logging them into its run.

``scan`` reads a cell (ast, never executed), ``values`` the values it bound; ``logger``
logs them without overriding what the user logged; ``provenance`` tags where a run came from;
``uploads`` sends cell sources as artifacts; ``settings`` holds the capture settings.
"""
