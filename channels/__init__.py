"""Channel glue: Rasa input and output channels adapted to dealcoach."""
