"""Test helpers for the project (no project imports; safe to use from any test)."""
