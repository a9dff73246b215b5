"""A differently written correct KVCache: preallocated buffers that double when full, views returned,
seq_len the most positions any layer holds."""


class KVCache:
    def __init__(self, num_layers):
        self.buffers = [None] * num_layers          # per layer: (k_buffer, v_buffer), capacity on dim 2
        self.lengths = [0] * num_layers

    def update(self, layer, k, v):
        n, t = self.lengths[layer], k.shape[2]
        if self.buffers[layer] is None or n + t > self.buffers[layer][0].shape[2]:
            capacity = max(8, 2 * (n + t))
            new_k = k.new_empty(k.shape[0], k.shape[1], capacity, k.shape[3])
            new_v = v.new_empty(v.shape[0], v.shape[1], capacity, v.shape[3])
            if self.buffers[layer] is not None:
                old_k, old_v = self.buffers[layer]
                new_k[:, :, :n] = old_k[:, :, :n]
                new_v[:, :, :n] = old_v[:, :, :n]
            self.buffers[layer] = (new_k, new_v)
        k_buf, v_buf = self.buffers[layer]
        k_buf[:, :, n:n + t] = k
        v_buf[:, :, n:n + t] = v
        self.lengths[layer] = n + t
        return k_buf[:, :, :n + t], v_buf[:, :, :n + t]

    @property
    def seq_len(self):
        return max(self.lengths, default=0)
