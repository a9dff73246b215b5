"""Chapter 2: neural networks from scratch."""
