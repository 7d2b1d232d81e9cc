"""The deck build pipeline: templated Markdown -> Mermaid diagrams -> Marp HTML/PDF.

`pipeline.build()` reads as the list of stages; each stage lives in its own module so a watcher
(make present) can re-run one at a time.
"""
