"""VUM (Verbeteren Uitwisseling Matchingsgegevens): werkmatch as a source and as an intermediary."""
