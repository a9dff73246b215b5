"""Torch-backed reference for ch3/amp.py: torch's own GradScaler (its `device` argument names
the gradients' device; 'cpu' works as well as 'cuda')."""
import torch

GradScaler = torch.amp.GradScaler
