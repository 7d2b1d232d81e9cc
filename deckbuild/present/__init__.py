"""`python build.py present`: the talk on stage. One owner (session.PresentSession) starts the
Temporal server, the demo workers, the warm renderers, the watcher and the HTTP server, reports their
state, and stops all of them."""
