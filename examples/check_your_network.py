"""Check your own network against Keras: a textbook-style class, and the ~20 lines that adapt it.

The class below is written the way many textbooks and courses write a network by hand:

* each layer's weights are a matrix (units, inputs) and its biases a column (units, 1);
* one sample is a column vector, and ``feedforward`` computes a = sigmoid(W a + b) layer by layer;
* a mini-batch is a list of (x, y) pairs, and the cost of one sample is 1/2 ||a - y||^2,
  averaged over the mini-batch in ``update_mini_batch``.

Keras holds the same numbers in other layouts (kernels (inputs, units), samples as rows) and
averages its mean squared error over the outputs too. The convention helpers
(``scratchnet.bench.parity.conventions``) bridge both: ``make`` below is all a user writes.
Run it:

    scratchnet-bench check examples/check_your_network.py:make --case moons-2-4-4-1

It prints the conventions and the Keras learning rate they imply (1/2 ||a - y||^2 over one output is
half Keras' MSE, so Keras' learning rate is eta x 1/2), then PASS, or the first step and weight where
the two part and what that usually means.
"""
import numpy as np


# -- the user's own network (untouched by the check) --------------------------------------------
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Network:
    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.sizes = sizes
        # Glorot-uniform weights (units, inputs) and zero biases (units, 1): what Keras' Dense starts from
        self.weights = [rng.uniform(-np.sqrt(6 / (n_in + n_out)), np.sqrt(6 / (n_in + n_out)), (n_out, n_in))
                        for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros((n_out, 1)) for n_out in sizes[1:]]

    def feedforward(self, a):
        """a: (inputs, samples) columns -> (outputs, samples)."""
        for W, b in zip(self.weights, self.biases):
            a = sigmoid(W @ a + b)
        return a

    def backprop(self, x, y):
        """Gradients of C = 1/2 ||a - y||^2 for one sample (a column), layer by layer from the output."""
        activations = [x]
        for W, b in zip(self.weights, self.biases):
            activations.append(sigmoid(W @ activations[-1] + b))
        delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])   # dC/dz of the output layer
        grads_W, grads_b = [None] * len(self.weights), [None] * len(self.biases)
        for layer in range(len(self.weights) - 1, -1, -1):
            grads_W[layer], grads_b[layer] = delta @ activations[layer].T, delta
            if layer:
                a = activations[layer]
                delta = (self.weights[layer].T @ delta) * a * (1 - a)            # sigmoid'(z) = a (1 - a)
        return grads_W, grads_b

    def update_mini_batch(self, mini_batch, eta):
        """One gradient-descent step on a list of (x, y) pairs: the gradients averaged over the batch."""
        sum_W = [np.zeros_like(W) for W in self.weights]
        sum_b = [np.zeros_like(b) for b in self.biases]
        for x, y in mini_batch:
            grads_W, grads_b = self.backprop(x, y)
            sum_W = [s + g for s, g in zip(sum_W, grads_W)]
            sum_b = [s + g for s, g in zip(sum_b, grads_b)]
        self.weights = [W - eta / len(mini_batch) * g for W, g in zip(self.weights, sum_W)]
        self.biases = [b - eta / len(mini_batch) * g for b, g in zip(self.biases, sum_b)]


# -- the adapter: what a user writes to check it (the part `check` needs) ------------------------
from scratchnet.bench.parity.conventions import Conventions, wrap  # noqa: E402

ETA = 1.0  # the network's own learning rate; Keras' equivalent is printed by check


def make():
    net = Network([2, 4, 4, 1])
    return wrap(
        net,
        layers=[(f"weights[{i}]", f"biases[{i}]") for i in range(3)],  # where each kernel and bias live
        activations=["sigmoid"] * 3,
        train=lambda net, batch: net.update_mini_batch(batch, ETA),
        predict=lambda net, X: net.feedforward(X),
        learning_rate=ETA,
        conventions=Conventions(kernel="units_inputs", samples="columns", batch="pairs", cost="half_sse"),
    )
