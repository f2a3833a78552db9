"""The clinicians' review page: what the library could not answer, grouped by meaning.

``settings`` (is the page on, its login), ``login`` (password hashes, checking a login),
``records`` (reading the scrubbed records ``actions.review_log`` writes),
``grouping`` (questions of similar meaning together) and ``page`` (the HTML page and
its CSV export). The web route is ``bot.channels.review``. Imports nothing from Rasa.
"""
