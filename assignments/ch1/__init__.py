"""Chapter 1: tensors, a first model, a training loop."""
