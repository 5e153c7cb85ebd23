"""Shared fixtures. Slow things (the knowledge base, the trained model) load once per run."""

from __future__ import annotations

import asyncio
import shutil

import pytest
import yaml

from dealcoach import settings
from dealcoach.knowledge_base.loader import KnowledgeBase, load_knowledge
from dealcoach.settings import ROOT
from dealcoach.understanding.extraction import EntityExtractor

MODEL = settings.path("model")


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(ROOT / "knowledge")


@pytest.fixture
def broken_kb(tmp_path):
    """A writable copy of the knowledge base, and a helper to edit one of its files."""
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)

    def edit(relative, change):
        path = root / relative
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data))
        return path

    return root, edit


@pytest.fixture(scope="session")
def extractor(kb) -> EntityExtractor:
    return EntityExtractor.from_knowledge(kb)


@pytest.fixture(scope="session")
def parse():
    """The trained model's parser (text -> Rasa parse dict), loaded once per test run."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    loop = asyncio.new_event_loop()

    def _parse(text: str) -> dict:
        return loop.run_until_complete(agent.parse_message(text))

    yield _parse
    loop.close()
