"""Is there a consent for this person, this nature, at this instant? (commissaires and the coffre)

Matching is by keyed blind index of the normalised identity only (`identite.py`); rows are decrypted
only for the coffre's internal verification, after the match, to return the notification channel.
"""
