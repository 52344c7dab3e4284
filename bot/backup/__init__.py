"""Backing up and restoring a newsdesk home: the embedded Chroma store, the keyword index and
the SQLite database, copied into a folder with a manifest of counts and checksums, and put
back the same way (`newsdesk backup DIR`, `newsdesk restore DIR`).

layout.py    which parts of a home are copied, and where they sit in a backup
manifest.py  the manifest: written last, checked first, every file's size and sha256
copying.py   consistent copies: SQLite through its backup API, folders file by file
restoring.py a restore: checked, copied beside the home, then moved into place
"""
