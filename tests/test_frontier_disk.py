"""A single-process crawl's frontier waits on disk (crawler/scheduler.py), not in memory: a site map of 100,000
links must not be 100,000 Request objects in the engine (issue 13 Speed, issue 16 item 4).  Scrapy quietly puts a
request it cannot pickle in its memory queue instead, so these tests use the spider's own requests: a callback or a
meta value that does not pickle would bring the memory growth back, and fails here."""

import os
from types import SimpleNamespace

from govaudit.crawler.scheduler import DiskScheduler
from govaudit.crawler.spiders.site import SiteSpider
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector


def _scheduler(tmp_path):
    settings = Settings()
    settings.setmodule("govaudit.crawler.settings")
    settings.set("SCHEDULER_MEMORY_QUEUE", "scrapy.squeues.FifoMemoryQueue")  # as govaudit/pipeline.py sets it
    crawler = Crawler(SiteSpider, settings)  # no reactor: the scheduler is driven by hand
    crawler.stats = MemoryStatsCollector(crawler)
    # Scrapy's default priority queue asks the downloader which slot a request is for: the real one, unstarted
    crawler.engine = SimpleNamespace(downloader=Downloader(crawler))  # type: ignore[assignment]
    spider = SiteSpider(url="http://127.0.0.1:9/", store=str(tmp_path / "s.sqlite"))
    spider.crawler, crawler.spider = crawler, spider
    assert settings["SCHEDULER"] == "govaudit.crawler.scheduler.DiskScheduler"
    s = DiskScheduler.from_crawler(crawler)
    s.open(spider)
    return s, spider


def test_the_spiders_requests_wait_on_disk_first_in_first_out(tmp_path):
    s, spider = _scheduler(tmp_path)
    try:
        urls = [f"http://127.0.0.1:9/p{i}.html" for i in range(50)]
        for url in urls:
            assert s.enqueue_request(spider.make_request(url, "page", 1, crawl=True))
        checked = spider.make_request("http://127.0.0.1:9/a.pdf", "resource", 1, crawl=False, method="GET")
        assert s.enqueue_request(checked)
        stats = s.stats.get_stats()
        assert stats.get("scheduler/enqueued/disk") == 51 and "scheduler/enqueued/memory" not in stats
        assert len(s) == 51
        popped = [s.next_request() for _ in range(51)]
        # pages at depth 1 (priority -1) before the check (-2), each priority first in, first out
        assert [r.url for r in popped[:50]] == urls
        assert popped[50].url == checked.url and popped[50].method == "GET" and popped[50].meta["headers_only"]
        assert popped[0].callback == spider.parse_page and popped[0].meta["orig_url"] == urls[0]
    finally:
        directory = s._tmp.name  # type: ignore[union-attr]
        s.close("finished")
        spider.writer.close()
        spider.store.close()
    assert not os.path.exists(directory)


def test_a_request_is_written_as_scrapy_writes_it(tmp_path):
    """The disk queue names the callbacks without Scrapy's walk over the spider's members: the same dict."""
    from govaudit.crawler.scheduler import request_dict
    from scrapy import Request

    s, spider = _scheduler(tmp_path)
    try:
        requests = [spider.make_request("http://127.0.0.1:9/p.html", "page", 3, crawl=True),
                    spider.make_request("http://127.0.0.1:9/a.pdf", "resource", 1, crawl=False, method="GET",
                                        attempts=[{"at": 1.0, "method": "HEAD", "status": 405}]),
                    Request("http://127.0.0.1:9/x", method="POST", body=b"a=1", callback=spider.on_endpoint,
                            errback=spider.on_error, headers={"X-Requested-With": "XMLHttpRequest"}, priority=1000),
                    Request("http://127.0.0.1:9/probe", callback=spider.on_probe, dont_filter=True)]
        for request in requests:
            assert request_dict(request, spider) == request.to_dict(spider=spider)
        assert request_dict(requests[0], spider)["callback"] == "parse_page"
        # not a method of the spider: Scrapy's own error, so the scheduler keeps the request in memory
        stranger = Request("http://127.0.0.1:9/y", callback=lambda response: None)
        assert s.enqueue_request(stranger)
        assert s.stats.get_value("scheduler/enqueued/memory") == 1
    finally:
        s.close("finished")
        spider.writer.close()
        spider.store.close()


def test_a_queue_waits_in_memory_only_while_small(tmp_path):
    """A priority's first requests wait in memory (a queue made and removed per page cost the engine a directory and
    files each time); past RequestDiskQueue.HELD the whole queue is on disk, still first in, first out, and a queue
    closed with requests in memory writes them to its files."""
    from govaudit.crawler.scheduler import RequestDiskQueue

    s, spider = _scheduler(tmp_path)
    try:
        key = str(tmp_path / "q" / "slot" / "-3")
        queue = RequestDiskQueue.from_crawler(s.crawler, key)
        urls = [f"http://127.0.0.1:9/p{i}.html" for i in range(RequestDiskQueue.HELD + 10)]
        for url in urls[:RequestDiskQueue.HELD]:
            queue.push(spider.make_request(url, "page", 3, crawl=True))
        assert not os.path.exists(key) and len(queue) == RequestDiskQueue.HELD
        for url in urls[RequestDiskQueue.HELD:]:
            queue.push(spider.make_request(url, "page", 3, crawl=True))
        assert os.path.isdir(key) and not queue.held and len(queue) == len(urls)
        assert queue.peek().url == urls[0]
        assert [queue.pop().url for _ in urls] == urls and queue.pop() is None

        held = RequestDiskQueue.from_crawler(s.crawler, str(tmp_path / "q" / "slot" / "-4"))
        held.push(spider.make_request(urls[0], "page", 4, crawl=True))
        held.close()
        again = RequestDiskQueue.from_crawler(s.crawler, str(tmp_path / "q" / "slot" / "-4"))
        popped = again.pop()
        assert popped.url == urls[0] and popped.callback == spider.parse_page and len(again) == 0
        again.close()
        queue.close()
        assert not os.path.exists(tmp_path / "q" / "slot" / "-4")  # an empty queue leaves no files
    finally:
        s.close("finished")
        spider.writer.close()
        spider.store.close()


def test_the_scheduler_pops_in_scrapys_order(tmp_path):
    """Pushes and pops mixed at random over priorities, hosts and the deferred pages: the crawl's order is the one
    Scrapy's own pickled disk queue gives, whether a queue is in memory or has spilled to its files."""
    import random

    from govaudit.crawler.scheduler import RequestDiskQueue

    def order(disk_queue: str, where) -> list:
        settings = Settings()
        settings.setmodule("govaudit.crawler.settings")
        settings.set("SCHEDULER_MEMORY_QUEUE", "scrapy.squeues.FifoMemoryQueue")
        settings.set("SCHEDULER_DISK_QUEUE", disk_queue)
        crawler = Crawler(SiteSpider, settings)
        crawler.stats = MemoryStatsCollector(crawler)
        crawler.engine = SimpleNamespace(downloader=Downloader(crawler))  # type: ignore[assignment]
        where.mkdir()
        spider = SiteSpider(url="http://127.0.0.1:9/", store=str(where / "s.sqlite"))
        spider.crawler, crawler.spider = crawler, spider
        s = DiskScheduler.from_crawler(crawler)
        s.open(spider)
        rnd, popped = random.Random(5), []
        try:
            for n in range(4 * RequestDiskQueue.HELD * 8):
                if rnd.random() < 0.65:  # the frontier grows: some queues outgrow memory
                    host = rnd.choice(["127.0.0.1:9", "127.0.0.1:9", "x.test"])
                    request = spider.make_request(f"http://{host}/p{n}.html", "page", rnd.choice([1, 2, 3, 3, 3, 4]),
                                                  crawl=rnd.random() < 0.8)
                    if rnd.random() < 0.1:
                        request.priority -= 10000  # a deep archive page (parse_page)
                    assert s.enqueue_request(request)
                else:
                    popped.append(getattr(s.next_request(), "url", None))
            spilled = any(files for _, _, files in os.walk(s.dqdir))  # some queue outgrew memory
            while (request := s.next_request()) is not None:
                popped.append(request.url)
            assert "scheduler/enqueued/memory" not in s.stats.get_stats() and spilled
        finally:
            s.close("finished")
            spider.writer.close()
            spider.store.close()
        return popped

    ours = order("govaudit.crawler.scheduler.RequestDiskQueue", tmp_path / "ours")
    assert ours == order("scrapy.squeues.PickleFifoDiskQueue", tmp_path / "scrapy")
    assert len([u for u in ours if u]) > 500
