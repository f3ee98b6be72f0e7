"""The project's data files as package data: ``sql``, ``config``, ``reference``, ``expectations`` and
``datadocs_assets``.

Each is a link to the checkout's own folder (``include/sql``, ``include/config``, ``include/reference``,
``expectations``, ``include/datadocs_assets``), so the checkout stays the one source; building the wheel
copies what the links point at into it. Read them through :mod:`bansos.domain.resources`, never by path
arithmetic.
"""
