"""crawler/keyset.py: the crawl's URL-key set answers exactly as a Python set does (issue 16 item 4)."""

import random

from govaudit.crawler import keyset
from govaudit.crawler.keyset import KeySet


def test_keyset_agrees_with_a_set(monkeypatch):
    monkeypatch.setattr(keyset, "MIN_BUFFER", 64)  # many merges on a small test
    monkeypatch.setattr(keyset, "HOT", 16)
    rng = random.Random(16)
    keys = [rng.getrandbits(64) - 2**63 for _ in range(5000)] + [-(2**63), 2**63 - 1, 0]
    ks, ref = KeySet(), set()
    for i, key in enumerate(keys):
        assert (key in ks) is (key in ref)
        ks.add(key)
        ref.add(key)
        ks.add(keys[i // 2])  # re-adding changes nothing
        assert len(ks) == len(ref)
        probe = keys[rng.randrange(i + 1)]
        assert probe in ks
    assert sorted(ks) == sorted(ref)
    assert not any(k in ks for k in (rng.getrandbits(64) - 2**63 for _ in range(2000)) if k not in ref)
    assert KeySet(ref).__len__() == len(ref) and all(k in KeySet(keys) for k in keys)
    ks.clear()
    assert not ks and len(ks) == 0 and keys[0] not in ks
