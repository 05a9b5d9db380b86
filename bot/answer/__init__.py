"""Composing cited answers from retrieved passages."""
