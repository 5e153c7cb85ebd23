"""Changes to how Rasa itself behaves, for dealcoach (not NLU components, not channels).

Each module has one job and an ``install()``; ``install_all()`` switches them all on
and ``nlu_components/__init__.py`` calls it (see there why that is the place every
Rasa process passes through).
"""


def install_all() -> None:
    from rasa_extensions import (
        action_server_unreachable,
        long_messages,
        sessions,
        stores_unreachable,
    )

    action_server_unreachable.install()
    long_messages.install()
    sessions.install()
    stores_unreachable.install()
