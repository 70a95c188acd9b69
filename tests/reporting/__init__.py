"""Tests of callbacks and verbose output."""
