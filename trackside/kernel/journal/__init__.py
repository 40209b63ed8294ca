"""Durable logging: MLflow calls journaled on disk before they return, sent in the background.

``durable`` is the front the MLflow hook hands calls to; ``validation`` checks them with
MLflow's own validators; ``records`` is the on-disk journal; ``batches``, ``transport``,
``dead_letters`` and ``sender`` send it; ``replay`` sends journals a dead kernel left.

Words: the *journal directory* holds one *kernel journal* per kernel that logged
(``owner.json``, ``lock``, ``ack`` and its *segments* ``seg-NNNNNN.tsj``).
"""
