"""Coop Union: membership system for rural trade union federations."""
