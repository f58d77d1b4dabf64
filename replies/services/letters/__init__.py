"""Reply letters in: ``importer`` (one path for one letter or a batch) and ``lookups``
(the committee, session, department and proposers a letter names)."""
