"""Chapter 6: transformers."""
