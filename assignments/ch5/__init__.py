"""Chapter 5: convolutional networks."""
