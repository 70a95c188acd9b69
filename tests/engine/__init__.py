"""Tests of skdnn.engine: the course's functions, figures and general forms."""
