"""The deal: its facts, its buying centre, the changes a message makes, how names match.

``dealcoach.storage`` (beside this package) keeps deals; both are the deals floor.
"""
