"""dealcoach core: plain Python, one subpackage per floor, each built on the ones below.

    knowledge_base/  the knowledge base read, validated and named (ground floor)
    understanding/   what a message says: rules, learned models, names, numbers
    deals/           the deal and its changes; ``storage/`` keeps them
    coaching/        the interview, advice, briefs and the conditions they test
    learning/        explanations and quizzes for the salesperson
    serving/         how it all runs: the command line, servers, training, the chat

A module imports only from its own floor or the floors below it
(``tests/core/test_layout.py`` checks it). Nothing here imports the Rasa server or
rasa_sdk, so the core is tested on its own, fast; ``actions/``, ``nlu_components/``
and ``channels/`` adapt it to Rasa.
"""

__version__ = "0.1.0"
