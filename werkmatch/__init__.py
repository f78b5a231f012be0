"""werkmatch: candidate–vacancy matching for a Dutch municipality's Werk & Participatie department."""

__version__ = "0.1.0"
