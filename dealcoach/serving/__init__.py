"""Top floor: how dealcoach runs. The ``dealcoach`` command, ``make serve`` and ``make chat``,
training with a progress line, conversation sessions and the trainer's review page.
"""
