"""Scrapy settings for the govaudit crawler.

Defaults are the polite ones a guest on a fragile government server owes it (design.md "Politeness");
``govaudit.pipeline`` overrides them from the rule set and the command line, and only the
``local-benchmark`` profile, for loopback targets, lifts them.
"""

from govaudit.crawler.extract import installed as installed_extractors

BOT_NAME = "govaudit"
SPIDER_MODULES = ["govaudit.crawler.spiders"]
NEWSPIDER_MODULE = "govaudit.crawler.spiders"

ROBOTSTXT_OBEY = True
USER_AGENT = "govaudit/0.1 (government website inspection)"
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0
# A delay (ours, Crawl-delay, Retry-After back-off) is a minimum the server asked for: no random jitter below it.
DOWNLOAD_DELAY_JITTER = 0
DOWNLOAD_TIMEOUT = 15
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
REDIRECT_MAX_TIMES = 10

# Every status reaches the spider: a 404 is a finding, not an error to swallow.
HTTPERROR_ALLOW_ALL = True
# Re-tests are the spider's own (spaced out, with the attempt history kept for the report).
RETRY_ENABLED = False
# The spider de-duplicates by 64-bit URL key before it builds a Request; Scrapy's fingerprinting dupefilter
# would only repeat that work.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
# Scrapy starts CONCURRENT_ITEMS cooperative tasks per response to process callback output, even empty
# output; the spider yields no items and schedules its requests itself, so one is plenty (py-spy showed
# the default 100 costing a third of the engine's time).
CONCURRENT_ITEMS = 1
# The frontier waits on disk, not in memory (crawler/scheduler.py): a site map of 100,000 links is 100,000 pickled
# requests in a temporary file, not 100,000 Request objects.  FIFO, as the memory queue (govaudit/pipeline.py).
# Each priority's queue keeps its first few requests in memory and makes its files only past them (a queue made and
# removed per page of a 6,000-deep article chain was 11 % of the engine's time).
SCHEDULER = "govaudit.crawler.scheduler.DiskScheduler"
SCHEDULER_DISK_QUEUE = "govaudit.crawler.scheduler.RequestDiskQueue"
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "WARNING"
REACTOR_THREADPOOL_MAXSIZE = 4
# The epoll reactor: measured ~30% more pages/s than the asyncio one on this workload (Scrapy 2.19 schedules
# ~100 asyncio tasks per page); nothing in govaudit needs asyncio.
TWISTED_REACTOR = "twisted.internet.epollreactor.EPollReactor"

# Per-request byte counts build a full text copy of every request and response; the store keeps what matters.
DOWNLOADER_STATS = False
# Scrapy's HTTP/1.1 handler, plus a clock on the wire: an attempt's "elapsed" is the time the request was out,
# not the time it queued behind a slot's delay (crawler/middlewares.py).
DOWNLOAD_HANDLERS = {
    "http": "govaudit.crawler.middlewares.WireClockHandler",
    "https": "govaudit.crawler.middlewares.WireClockHandler",
}

SPIDER_MIDDLEWARES = {
    # Depth, scope and URL length are the spider's (it decides before building a request).
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,  # scope is decided before a request exists
    # It decodes every page's whole body in the engine's process just to look for <meta http-equiv=refresh>;
    # the worker that parses the page anyway records that target as a link (crawler/extract/core.py).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,  # never route through an env proxy
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "govaudit.crawler.middlewares.PolitenessMiddleware": 560,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "govaudit.crawler.extensions.ScanProgress": 500,
}

# Page-fact extractors run on every crawled HTML page: every one installed in the govaudit.extractors
# entry-point group (crawler/extract/__init__.py).  A project may still set its own list.
GOVAUDIT_EXTRACTORS = list(installed_extractors().values())

# Lifted limits for benchmarking against a server on this machine (refused for any other host).
LOCAL_BENCHMARK = {
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "DOWNLOAD_DELAY": 0,
}
