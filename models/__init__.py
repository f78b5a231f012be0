"""Database models, pydantic schemas and HTTP-free service functions of werkmatch."""
