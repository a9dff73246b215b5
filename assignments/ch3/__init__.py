"""Chapter 3: optimization."""
