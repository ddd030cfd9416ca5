"""Tests of mediaobjects.storage: one contract suite over every backend, plus backend details."""
