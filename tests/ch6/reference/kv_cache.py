"""Independent reference for ch6/kv_cache.py: every chunk kept, torch.cat of all of them on each update."""
import torch


class KVCache:
    def __init__(self, num_layers):
        self.chunks = {layer: [] for layer in range(num_layers)}   # layer -> [(k, v), ...] in arrival order

    def update(self, layer, k, v):
        self.chunks[layer].append((k, v))
        keys = [kk for kk, _ in self.chunks[layer]]
        values = [vv for _, vv in self.chunks[layer]]
        return torch.cat(keys, dim=2), torch.cat(values, dim=2)

    @property
    def seq_len(self):
        return sum(k.shape[2] for k, _ in self.chunks[0])
