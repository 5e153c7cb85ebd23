"""dealcoach core: knowledge base, fact extraction and normalisation, deal store, advice.

Plain Python: nothing here imports the Rasa server or rasa_sdk, so the core is
tested on its own, fast. ``actions/`` and ``nlu_components/`` adapt it to Rasa.
"""

__version__ = "0.1.0"
