"""Changes to how Rasa itself behaves, for dealcoach (not NLU components, not channels).

Each module has one job and an ``install()``; ``nlu_components/__init__.py`` switches
them on (see there why that is the place every Rasa process passes through).
"""
