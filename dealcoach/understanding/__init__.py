"""What a message says: the knowledge base's rules, the learned models and how they combine.

``extraction`` applies the rules of ``knowledge/entities/``, ``numbers`` reads employee
counts, ``names`` tells companies from people, ``learned`` trains and runs the small
spaCy models, ``reading`` combines them into one reading of a message, and
``entity_check`` checks what a message brings before it is used.
"""
