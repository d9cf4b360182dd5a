"""Spiders of the govaudit crawler."""
