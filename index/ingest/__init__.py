"""files, URLs, feeds -> Articles: the first stage of indexing.

loaders.py  files and folders (.txt, .md, .html, .json, .jsonl, .jsonl.gz, .pdf)
fetch.py    the checked fetcher (http/https only, no private addresses, capped in time and size)
web.py      web pages and RSS/Atom feeds, through the fetcher
feeds.py    the operator's list of feeds
sources.py  what one indexing run reads (Sources), and the size check every way in shares
"""
