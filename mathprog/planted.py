"""Planted bugs for notebook 08 and tests/test_gradcheck.py: each a correct ``nn.Linear`` or
loss with one line wrong, which :func:`mathprog.gradcheck.check_gradients` catches and locates.
"""

from __future__ import annotations

import numpy as np

from mathprog import nn

__all__ = ["ForgottenBias", "MissingMean", "MissingTranspose", "WrongSignSoftmax"]


class MissingTranspose(nn.Linear):
    """``dL/dx = g @ W`` instead of ``g @ W.T`` (shape-compatible only for a square layer)."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        np.matmul(self.x.T, grad_out, out=self.dW)
        np.sum(grad_out, axis=0, out=self.db)
        self.grad_input = grad_out @ self.W  # BUG: should be self.W.T
        return self.grad_input


class ForgottenBias(nn.Linear):
    """Never writes ``db`` (it keeps whatever it held: zeros)."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        np.matmul(self.x.T, grad_out, out=self.dW)
        # BUG: np.sum(grad_out, axis=0, out=self.db) forgotten
        self.grad_input = grad_out @ self.W.T
        return self.grad_input


class WrongSignSoftmax(nn.SoftmaxCrossEntropy):
    """Returns ``(onehot - softmax) / N``: the sign of the softmax gradient flipped."""

    def backward(self) -> np.ndarray:
        grad = self.probs.copy()
        grad[np.arange(len(grad)), self.target] -= 1
        return -grad / len(grad)  # BUG: the sign


class MissingMean(nn.SoftmaxCrossEntropy):
    """Forward takes the mean over the batch, backward forgets the ``1/N``."""

    def backward(self) -> np.ndarray:
        grad = self.probs.copy()
        grad[np.arange(len(grad)), self.target] -= 1
        return grad  # BUG: should be grad / N

