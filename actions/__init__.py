"""rasa_sdk custom actions: thin adapters between the tracker and the dealcoach core."""
