"""files, URLs, feeds -> Articles: the first stage of indexing.

loaders.py  files and folders (.txt, .md, .html, .json, .jsonl, .jsonl.gz, .pdf)
capped.py   the caps every file is read under; a .jsonl.gz read as a stream under them
fetch.py    the checked fetcher (http/https only, no private addresses, capped in time and size)
web.py      web pages and RSS/Atom feeds, through the fetcher
polling.py  a feed poll's deadline, and failed entries tried again with backoff
feeds.py    the operator's list of feeds
sources.py  what one indexing run reads (Sources), and the size check every way in shares
"""
