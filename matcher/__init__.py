"""The werkmatch matching engine: plain data in, ranked and explained matches out.

This package never imports FastAPI or SQLAlchemy (a test enforces it).
"""
