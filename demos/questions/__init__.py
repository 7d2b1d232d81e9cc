"""The room's questions: ask, upvote and moderate through Updates to one workflow per talk."""
