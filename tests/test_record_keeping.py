"""A check that holds every page's record for a second pass keeps only the facts it reads (issue 16: the mobile and
speed checks held every page's full facts, 789 MB at the peak of a 50,000-page report, 323 MB without)."""

from govaudit.model import UrlRecord


def test_keeping_drops_the_facts_a_check_does_not_read():
    rec = UrlRecord("http://127.0.0.1:9/a.html", "page", facts={"template": "t1", "meta": {"viewport": "w"},
                                                                  "list_items": [{"title": "x"}] * 300})
    assert rec.keeping(("meta", "template")) is rec
    assert rec.facts == {"template": "t1", "meta": {"viewport": "w"}}


def test_keeping_leaves_a_record_without_facts_alone():
    assert UrlRecord("http://127.0.0.1:9/x.css", "resource").keeping(("template",)).facts is None
