"""dealcoach's custom Rasa NLU components.

Rasa imports this package whenever it loads a dealcoach model, because the model's
pipeline names components in it: in every run mode (``rasa run``, ``rasa shell``,
``make chat``, ``make serve``, the tests), before the first message. That makes it
the one place every Rasa process passes through, so the Rasa-side extensions of
``rasa_extensions`` are switched on here rather than in a launcher one mode might skip.
"""

import rasa_extensions

rasa_extensions.install_all()
