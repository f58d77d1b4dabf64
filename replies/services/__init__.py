"""Writes, one module per use case. The admin, site forms, commands and jobs call these;
nothing else writes proposals, replies, commitments or their deadlines and publication.

- ``letters``: importing reply letters (one path for one letter or a batch)
- ``publication``: publishing and withdrawing replies
- ``progress``: updates, targets' achieved values, stale-edit checks
- ``rating``: the proposer's satisfaction rating
- ``reminders``: the daily reminder job
- ``notifications``: the e-mails the other services send
- ``indexing``: search vectors and what is derived from published replies
"""
