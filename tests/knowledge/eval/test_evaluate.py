"""``python -m knowledge eval`` measures the frozen default library, whatever is configured."""

from __future__ import annotations

from knowledge.eval.evaluate import default_library_index
from knowledge.index import staleness
from knowledge.settings import DEFAULT_LIBRARY


def test_the_sets_are_scored_on_the_default_library_whatever_the_clinic_serves(tiny_index):
    index, _corpus, embedder = tiny_index  # a clinic's library: three unrelated documents
    with default_library_index(index, embedder) as used:
        assert used != index
        assert staleness(used, DEFAULT_LIBRARY, embedder) == []  # a current default index
        with default_library_index(used, embedder) as again:
            assert again == used  # an index of the default library is used as it is
    assert not used.exists()  # the scratch index is gone afterwards
    assert staleness(index, DEFAULT_LIBRARY, embedder)  # and the clinic's index untouched
