"""The 'Neural Networks Demystified' 2-3-1 network: no biases, sigmoid everywhere, full-batch
gradient descent, NumPy only -- written the way that tutorial series writes it
(``forward``, ``sigmoidPrime``, ``costFunctionPrime``).

One change from the series: its cost is 0.5 * sum((y - yHat)^2); Keras' "mse" is
mean((yHat - y)^2), so ``costFunctionPrime`` below scales by 2 / n to train exactly like the
Keras model it is checked against (the checker reports 'your update is 0.5 x Keras'' -- or
n/2 -- when that scale is left out).

    scratchnet-bench check examples/nobias_2_3_1.py:make_net --case nobias-2-3-1 --epochs 3
"""
import numpy as np


class Neural_Network:
    def __init__(self, learning_rate=2.0, seed=3):
        self.inputLayerSize = 2
        self.hiddenLayerSize = 3
        self.outputLayerSize = 1
        self.learning_rate = learning_rate
        rng = np.random.default_rng(seed)
        self.W1 = rng.standard_normal((self.inputLayerSize, self.hiddenLayerSize)) * 0.05
        self.W2 = rng.standard_normal((self.hiddenLayerSize, self.outputLayerSize)) * 0.05

    def forward(self, X):
        self.z2 = np.dot(X, self.W1)
        self.a2 = self.sigmoid(self.z2)
        self.z3 = np.dot(self.a2, self.W2)
        yHat = self.sigmoid(self.z3)
        return yHat

    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def sigmoidPrime(self, z):
        """Derivative of the sigmoid, written with z as in the series."""
        s = self.sigmoid(z)
        return s * (1 - s)

    def costFunction(self, X, y):
        self.yHat = self.forward(X)
        return np.mean((y - self.yHat) ** 2)

    def costFunctionPrime(self, X, y):
        self.yHat = self.forward(X)
        delta3 = np.multiply(-(y - self.yHat) * 2 / y.size, self.sigmoidPrime(self.z3))
        dJdW2 = np.dot(self.a2.T, delta3)
        delta2 = np.dot(delta3, self.W2.T) * self.sigmoidPrime(self.z2)
        dJdW1 = np.dot(X.T, delta2)
        return dJdW1, dJdW2

    def train(self, X, y, iterations=300):
        for _ in range(iterations):
            self.train_on_batch(X, y)

    # -- the protocol scratchnet-bench check expects -------------------------------------
    def describe(self):
        return {
            "input_dim": 2,
            "layers": [{"units": 3, "activation": "sigmoid", "use_bias": False},
                       {"units": 1, "activation": "sigmoid", "use_bias": False}],
            "loss": "mse",
            "optimizer": {"name": "sgd", "learning_rate": self.learning_rate},
            "dtype": "float64",
        }

    def get_weights(self):
        return [self.W1.copy(), self.W2.copy()]

    def set_weights(self, weights):
        self.W1, self.W2 = (np.array(w, dtype=np.float64) for w in weights)

    def train_on_batch(self, X, y):
        dJdW1, dJdW2 = self.costFunctionPrime(X, y)
        self.W1 = self.W1 - self.learning_rate * dJdW1
        self.W2 = self.W2 - self.learning_rate * dJdW2

    def predict(self, X):
        return self.forward(X)


def make_net():
    return Neural_Network()
