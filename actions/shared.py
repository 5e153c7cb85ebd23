"""What every action shares, loaded once per action-server process, not per request."""

from functools import lru_cache

from dealcoach.knowledge import KnowledgeBase, load_knowledge


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_knowledge()
