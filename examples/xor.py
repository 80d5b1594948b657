"""The library on its own: scratchnet learns XOR and prints its predictions.

    python examples/xor.py

A 2-8-1 network (tanh hidden layer, sigmoid output), binary cross-entropy, Adam, full batch.
"""
import numpy as np

import scratchnet as sn

x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y = np.array([[0], [1], [1], [0]], dtype=float)

model = sn.Sequential([sn.Input((2,)), sn.Dense(8, activation="tanh"), sn.Dense(1, activation="sigmoid")],
                      dtype="float64", seed=1)
model.compile(optimizer=sn.Adam(learning_rate=0.05), loss="binary_crossentropy")
history = model.fit(x, y, batch_size=None, epochs=500, shuffle=False, verbose=0)

print(f"loss after {len(history.history['loss'])} epochs: {history.history['loss'][-1]:.4f}")
for row, p in zip(x, model.predict(x)[:, 0]):
    print(f"{int(row[0])} xor {int(row[1])} -> {p:.3f} ({round(p)})")
