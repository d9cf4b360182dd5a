"""The built-in demo: a generated county-government site (sitegen) and the server that serves it on 127.0.0.1."""
