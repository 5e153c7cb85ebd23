"""rasa_sdk custom actions: thin adapters between the tracker and the dealcoach core.

The action server imports this package when it starts: the knowledge base and the deal
store are loaded here, once, so no request waits for them (and a broken knowledge base
stops the server at start rather than failing a salesperson's first message).
"""

from actions.shared import load_at_start

load_at_start()
