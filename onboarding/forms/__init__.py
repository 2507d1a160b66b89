"""Flask-WTF forms for onboarding, with GOV.UK widgets and GOV.UK-style messages."""
