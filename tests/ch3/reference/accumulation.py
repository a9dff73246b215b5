"""Reference for ch3/accumulation.py: torch has no counterpart, so the reference is what
accumulation must reproduce, one full-batch step (the whole batch through the model and the loss
at once); the micro-batch size plays no part in it."""


def accumulated_step(model, loss_fn, batch, micro_batch_size, optimizer):
    x, y = batch
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
