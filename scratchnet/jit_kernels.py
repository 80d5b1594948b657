"""The compiled kernels of :mod:`scratchnet.jit`: the library's formulas as numba loops.

Each kernel names the library function whose formula it compiles. They work on flat vectors with
offsets (no array views per step) and are compiled with ``cache=True`` (machine code kept in
``__pycache__``) and ``error_model="numpy"`` (a division by zero gives inf/NaN as in NumPy, with no
per-division check). :mod:`scratchnet.jit` holds the Python side and the contract.
"""
from __future__ import annotations

import numpy as np
from numba import njit

ACTIVATION_CODES = {"linear": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4, "softmax": 5}
LOSS_MSE, LOSS_MAE, LOSS_BCE_LOGITS, LOSS_CCE_LOGITS = 0, 1, 2, 3
OPT_SGD, OPT_RMSPROP, OPT_ADAM = 0, 1, 2
GEMM_LOOP_FLOPS = 32768  # below this many multiply-adds a product is a loop, above it BLAS
# the constants vector's slots (model dtype): 0, 1, leaky_relu's slope, the optimizer's, and a scratch
# slot that rounds a Python float to the model's dtype (as the library's ``_constants.const`` does)
C_ZERO, C_ONE, C_SLOPE, C_LR, C_A, C_B, C_C, C_D, C_ROUND = range(9)


# Every kernel works on flat vectors with offsets (a layer's (rows, units) block of a buffer starts
# at ``o``, element (i, j) at ``o + i * units + j``; a kernel (inputs, units) at ``k``): no array views
# are made per step, since each costs numba a reference count (measured: views per step tripled a
# 2-3-1 net's step time).

# ------------------------------------------------------------------ activations (scratchnet/activations.py)

@njit(cache=True, error_model="numpy")
def _activation_forward(code, z, a, o, rows, units, c):
    """``activations._linear`` / ``_sigmoid`` / ``_tanh`` / ``_relu`` / ``_leaky_relu`` / ``_softmax``."""
    for i in range(rows):
        r = o + i * units
        if code == 5:  # softmax: a = exp(z - max z) / sum exp(z - max z)
            top = z[r]
            for j in range(1, units):
                top = max(top, z[r + j])
            total = c[C_ZERO]
            for j in range(units):
                a[r + j] = np.exp(z[r + j] - top)
                total += a[r + j]
            for j in range(units):
                a[r + j] = a[r + j] / total
            continue
        for j in range(r, r + units):
            v = z[j]
            if code == 0:      # linear: a = z
                a[j] = v
            elif code == 1:    # sigmoid: a = 1 / (1 + exp(-z))
                a[j] = c[C_ONE] / (np.exp(-v) + c[C_ONE])
            elif code == 2:    # tanh
                a[j] = np.tanh(v)
            elif code == 3:    # relu: max(z, 0)
                a[j] = v if v > c[C_ZERO] else c[C_ZERO]
            else:              # leaky_relu: z if z > 0 else slope z
                a[j] = v if v > c[C_ZERO] else v * c[C_SLOPE]


@njit(cache=True, error_model="numpy")
def _activation_backward(code, z, a, d, o, rows, units, c):
    """``activations._*_bwd``, in place on ``d``: dL/da -> dL/dz = dL/da * f'(z), f' as the library writes it."""
    for i in range(rows):
        r = o + i * units
        if code == 5:  # softmax: dz = a * (g - sum_j g_j a_j)
            s = c[C_ZERO]
            for j in range(r, r + units):
                s += d[j] * a[j]
            for j in range(r, r + units):
                d[j] = a[j] * (d[j] - s)
            continue
        for j in range(r, r + units):
            if code == 1:      # sigmoid: a (1 - a)
                d[j] = d[j] * (a[j] * (c[C_ONE] - a[j]))
            elif code == 2:    # tanh: 1 - a^2
                d[j] = d[j] * (c[C_ONE] - a[j] * a[j])
            elif code == 3:    # relu: 1 if z > 0 else 0
                d[j] = d[j] if z[j] > c[C_ZERO] else c[C_ZERO] * d[j]
            elif code == 4:    # leaky_relu: 1 if z > 0 else slope
                d[j] = d[j] if z[j] > c[C_ZERO] else d[j] * c[C_SLOPE]
            # linear: 1, d unchanged


# ------------------------------------------------------------------ losses (scratchnet/losses.py)

@njit(cache=True, error_model="numpy")
def _loss_value_and_grad(kind, y, out, z, grad, o, rows, k, c):
    """``MeanSquaredError.value_and_grad``, ``MeanAbsoluteError``, and the fused
    ``BinaryCrossentropy`` / ``CategoricalCrossentropy`` ``value_from_logits`` + ``grad_from_logits``:
    the batch loss (float) and dL/d(out) -- dL/dz for the fused ones -- written into ``grad``
    (``out``, ``z``, ``grad``: the last layer's block at ``o``; ``y``: the batch's targets at 0)."""
    n = rows * k
    total = 0.0
    if kind == 0:    # mse: mean (p - y)^2 ; 2 (p - y) / n
        c[C_ROUND] = 2.0 / n
        scale = c[C_ROUND]
        for j in range(n):
            d = out[o + j] - y[j]
            total += d * d
            grad[o + j] = d * scale
        return total / n
    if kind == 1:    # mae: mean |p - y| ; sign(p - y) / n
        c[C_ROUND] = 1.0 / n
        scale = c[C_ROUND]
        for j in range(n):
            d = out[o + j] - y[j]
            total += abs(d)
            grad[o + j] = (c[C_ONE] if d > 0 else (-c[C_ONE] if d < 0 else c[C_ZERO])) * scale
        return total / n
    if kind == 2:    # bce from logits: max(z, 0) - z y + log1p(exp(-|z|)) ; (sigmoid(z) - y) / n
        c[C_ROUND] = 1.0 / n
        scale = c[C_ROUND]
        for j in range(n):
            v = z[o + j]
            total += max(v, 0.0) - v * y[j] + np.log1p(np.exp(-abs(v)))
            grad[o + j] = (out[o + j] - y[j]) * scale
        return total / n
    # cce from logits: logsumexp(z) sum(y) - sum(y z) ; (softmax(z) sum(y) - y) / rows
    c[C_ROUND] = 1.0 / rows
    scale = c[C_ROUND]
    for i in range(rows):
        r = o + i * k
        top = z[r]
        for j in range(1, k):
            top = max(top, z[r + j])
        s, ysum = 0.0, c[C_ZERO]
        for j in range(k):
            s += np.exp(z[r + j] - top)
            ysum += y[i * k + j]
        lse = np.log(s) + top
        for j in range(k):
            total += y[i * k + j] * (lse - z[r + j])
            grad[r + j] = (out[r + j] * ysum - y[i * k + j]) * scale
    return total / rows


# ------------------------------------------------------------------ Dense (scratchnet/layers.py)

@njit(cache=True, error_model="numpy")
def _dense_forward(x, xo, w, k, b, z, o, rows, n_in, units):
    """``Dense.forward``'s product: z = x W + b (``b`` < 0: no bias), loops for a small layer."""
    for i in range(rows):
        xi, zi = xo + i * n_in, o + i * units
        for j in range(units):
            s = x[xi] * w[k + j]
            for p in range(1, n_in):
                s += x[xi + p] * w[k + p * units + j]
            z[zi + j] = s + w[b + j] if b >= 0 else s


@njit(cache=True, error_model="numpy")
def _dense_backward(x, xo, w, g, k, b, d, o, dx, dxo, rows, n_in, units):
    """``Dense.backward``, loops: dL/dW = x^T dz ; dL/db = sum over the batch of dz ; dL/dx = dz W^T
    (``dx`` < 0 offset: not needed). ``g`` is the flat gradient vector, ``d`` holds dz at ``o``."""
    for p in range(n_in):
        for j in range(units):
            s = x[xo + p] * d[o + j]
            for i in range(1, rows):
                s += x[xo + i * n_in + p] * d[o + i * units + j]
            g[k + p * units + j] = s
    if b >= 0:
        for j in range(units):
            s = d[o + j]
            for i in range(1, rows):
                s += d[o + i * units + j]
            g[b + j] = s
    if dxo >= 0:
        for i in range(rows):
            for p in range(n_in):
                s = d[o + i * units] * w[k + p * units]
                for j in range(1, units):
                    s += d[o + i * units + j] * w[k + p * units + j]
                dx[dxo + i * n_in + p] = s


@njit(cache=True, error_model="numpy")
def _dense_forward_blas(x, xo, w, k, b, z, o, rows, n_in, units):
    """:func:`_dense_forward` for a large layer: the product through BLAS (``np.dot``, as the library)."""
    out = z[o:o + rows * units].reshape(rows, units)
    out[:, :] = np.dot(x[xo:xo + rows * n_in].reshape(rows, n_in), w[k:k + n_in * units].reshape(n_in, units))
    if b >= 0:
        for i in range(rows):
            for j in range(units):
                out[i, j] += w[b + j]


@njit(cache=True, error_model="numpy")
def _dense_backward_blas(x, xo, w, g, k, b, d, o, dx, dxo, rows, n_in, units):
    """:func:`_dense_backward` for a large layer: the products through BLAS."""
    xv = x[xo:xo + rows * n_in].reshape(rows, n_in)
    dz = d[o:o + rows * units].reshape(rows, units)
    g[k:k + n_in * units].reshape(n_in, units)[:, :] = np.dot(xv.T, dz)
    if b >= 0:
        for j in range(units):
            s = dz[0, j]
            for i in range(1, rows):
                s += dz[i, j]
            g[b + j] = s
    if dxo >= 0:
        dx[dxo:dxo + rows * n_in].reshape(rows, n_in)[:, :] = np.dot(dz, w[k:k + n_in * units].reshape(n_in, units).T)


# ------------------------------------------------------------------ optimizers (scratchnet/optimizers.py)

@njit(cache=True, error_model="numpy")
def _optimizer_update(kind, w, g, s1, s2, c, alpha, flags):
    """``SGD._update``, ``RMSprop._update`` and ``Adam._update``, element by element in the library's
    order (``alpha``: Adam's bias-corrected step size for this step, computed by NumPy)."""
    lr = c[C_LR]
    for i in range(w.size):
        if kind == 0:    # SGD: step = g lr ; w -= step | v = v m - step, w += v | nesterov w += v m - step
            step = g[i] * lr
            if flags[0] == 0:
                w[i] = w[i] - step
            else:
                s1[i] = s1[i] * c[C_A] - step
                w[i] = w[i] + (s1[i] * c[C_A] - step if flags[1] else s1[i])
        elif kind == 1:  # RMSprop: v = rho v + (1 - rho) g^2 ; step = lr g / sqrt(v + eps)
            s1[i] = s1[i] * c[C_A] + (g[i] * g[i]) * c[C_B]
            step = (g[i] * lr) / np.sqrt(s1[i] + c[C_C])
            if flags[0]:  # momentum: mom = momentum mom + step ; w -= mom
                s2[i] = s2[i] * c[C_D] + step
                w[i] = w[i] - s2[i]
            else:
                w[i] = w[i] - step
        else:            # Adam: v += (g^2 - v)(1 - b2) ; m += (g - m)(1 - b1) ; w -= m alpha / (sqrt(v) + eps)
            s2[i] = s2[i] + (g[i] * g[i] - s2[i]) * c[C_B]
            s1[i] = s1[i] + (g[i] - s1[i]) * c[C_A]
            w[i] = w[i] - (s1[i] * alpha) / (np.sqrt(s2[i]) + c[C_C])


# ------------------------------------------------------------------ the epoch (scratchnet/training.py)

@njit(cache=True, error_model="numpy")
def _step(X, Y, order, start, rows, layers, loss_kind, w, g, ybuf, zbuf, abuf, dbuf, c):
    """``TrainingLoop._train_step`` without the update: gather the batch's rows, forward, loss,
    backward (gradients into ``g``). ``layers`` rows: (inputs, units, kernel offset, bias offset or
    -1, activation, block): a layer's block in the buffers starts at block x rows; block 0 of ``abuf``
    holds the batch's inputs, so every layer reads its input from ``abuf`` (no array variable is
    reassigned in the loop: each reassignment costs numba a reference count)."""
    n_x = X.shape[1]
    for i in range(rows):  # gather (``_run_epoch``'s np.take)
        r = order[start + i]
        for p in range(n_x):
            abuf[i * n_x + p] = X[r, p]
        for p in range(Y.shape[1]):
            ybuf[i * Y.shape[1] + p] = Y[r, p]
    last = layers.shape[0] - 1
    xo = 0
    for l in range(last + 1):  # forward
        n_in, units, k, b, o = layers[l, 0], layers[l, 1], layers[l, 2], layers[l, 3], layers[l, 5] * rows
        if rows * n_in * units >= GEMM_LOOP_FLOPS:
            _dense_forward_blas(abuf, xo, w, k, b, zbuf, o, rows, n_in, units)
        else:
            _dense_forward(abuf, xo, w, k, b, zbuf, o, rows, n_in, units)
        _activation_forward(layers[l, 4], zbuf, abuf, o, rows, units, c)
        xo = o
    value = _loss_value_and_grad(loss_kind, ybuf, abuf, zbuf, dbuf, layers[last, 5] * rows, rows,
                                 layers[last, 1], c)
    for l in range(last, -1, -1):  # backward: dbuf's block holds dL/da (dL/dz for a fused last layer)
        n_in, units, k, b, o = layers[l, 0], layers[l, 1], layers[l, 2], layers[l, 3], layers[l, 5] * rows
        if not (loss_kind >= 2 and l == last):
            _activation_backward(layers[l, 4], zbuf, abuf, dbuf, o, rows, units, c)
        xo = layers[l - 1, 5] * rows if l > 0 else 0   # the input's block (the batch's rows for layer 0)
        dxo = xo if l > 0 else -1                       # dL/dx into the previous layer's block
        if rows * n_in * units >= GEMM_LOOP_FLOPS:
            _dense_backward_blas(abuf, xo, w, g, k, b, dbuf, o, dbuf, dxo, rows, n_in, units)
        else:
            _dense_backward(abuf, xo, w, g, k, b, dbuf, o, dbuf, dxo, rows, n_in, units)
    return value


@njit(cache=True, error_model="numpy")
def _train_epoch(X, Y, order, batch, w, g, layers, loss_kind, opt_kind, s1, s2, c, alphas, flags,
                 ybuf, zbuf, abuf, dbuf):
    """``TrainingLoop._run_epoch``: every batch of ``order`` (:func:`_step`, then the optimizer's
    update), the partial last batch included. Returns (sum of batch losses x rows, steps taken)."""
    n = order.size
    total = 0.0
    steps = 0
    start = 0
    while start < n:
        rows = min(batch, n - start)
        value = _step(X, Y, order, start, rows, layers, loss_kind, w, g, ybuf, zbuf, abuf, dbuf, c)
        _optimizer_update(opt_kind, w, g, s1, s2, c, alphas[steps], flags)
        steps += 1
        if not np.isfinite(value):
            return value, steps
        total += value * rows
        start += rows
    return total, steps
