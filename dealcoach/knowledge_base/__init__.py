"""Ground floor: the knowledge base (``knowledge/``) loaded and validated, and its vocabulary.

Every other floor reads the domain's words from here: the file schemas, the
placeholders each kind of text may use, and the loaded ``KnowledgeBase``. It imports
nothing from the floors above.
"""
