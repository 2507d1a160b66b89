"""Open Referral UK (HSDS 3.0) import and export of organisations, services, locations
and taxonomy terms."""
