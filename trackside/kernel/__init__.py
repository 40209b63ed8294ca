"""Kernel side of Trackside (IPython extension): magics, capture, tee, journal, sender.

Nothing here may import jupyter_server.
"""
