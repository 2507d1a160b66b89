"""Matches for a needs assessment and sending referrals from them.

``candidates`` finds the services worth checking, ``facts`` turns our models into the
pure ``matching`` package's inputs, ``queries`` ranks and explains them, ``services``
sends referrals (the one place a Referral is created), ``views`` and ``api`` are the
pages and ``/api/v1/referrals``.
"""
