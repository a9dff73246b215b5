"""Chapter 4: generalization."""
