"""Document ingestion pipeline on Temporal: upload -> chunk -> embed -> store -> metadata, then search.

Document work (files, chunks, graph, metadata) and ML work (embedding, summarising) run on separate
task queues, so each kind can get its own, separately scaled, workers.
"""
