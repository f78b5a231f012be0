"""The werkmatch HTTP API (FastAPI): thin routers over the service functions."""
