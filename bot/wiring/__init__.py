"""Settings -> the parts each command needs, and only those: the one place below the entry
points that reads Settings (tests/test_layout.py checks).

stores.py     the article store, keyword index and embeddings, each opened alone
state.py      the shared state, opened and migrated for the commands that keep state
answering.py  build_answering: what answering a question needs, opened read-only in spirit
indexing.py   build_indexer: what an indexing run writes to
bot.py        build_bot: a long-running bot's parts, with the upkeep a one-off command skips
"""
