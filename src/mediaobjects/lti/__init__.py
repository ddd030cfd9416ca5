"""LTI 1.3 tool: registrations, keys, login and launch, deep linking."""
