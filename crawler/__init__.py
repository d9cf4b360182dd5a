"""The govaudit Scrapy project: spiders, middlewares, extensions and the page-fact extractors."""
