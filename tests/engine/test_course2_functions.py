"""Course 2's graded functions on the notebooks' own test cases.

Figures from the 2021 versions of the notebooks ("Initialization",
"Regularization", "Gradient Checking", "Optimization Methods" with its
learning-rate decay; public copy: shivamaggarwal513/coursera-deep-learning-specialization,
c2-improving-deep-neural-networks/week-1 and week-2), unless a test names an
older version (amanchadha/coursera-deep-learning-specialization: Regularization_v2a,
Gradient Checking v1, Optimization_methods_v1b). Each test case's seeded inputs
are rebuilt as the notebooks' ``testCases.py`` / ``test_cases.py`` build them.
"""

import numpy as np
import pytest

from skdnn.engine import course2
from skdnn.engine.course2 import gradient_checking, initialization, optimization, regularization

SHAPES_3 = [("W1", (2, 3)), ("b1", (2, 1)), ("W2", (3, 2)), ("b2", (3, 1)), ("W3", (1, 3)),
            ("b3", (1, 1))]
SHAPES_2 = [("W1", (2, 3)), ("b1", (2, 1)), ("W2", (3, 2)), ("b2", (3, 1))]
Y5 = np.array([[1, 1, 0, 1, 0]])


def draw(shapes):
    return {name: np.random.randn(*shape) for name, shape in shapes}


def close(actual, printed):
    # The notebooks print 8 decimals.
    np.testing.assert_allclose(actual, np.array(printed), rtol=0, atol=1e-8)


# --- Initialization (2021; the same figures in the older copy) ---

def test_initialize_parameters_zeros():
    parameters = course2.initialize_parameters_zeros([3, 2, 1])
    assert set(parameters) == {"W1", "b1", "W2", "b2"}
    assert parameters["W1"].shape == (2, 3) and parameters["W2"].shape == (1, 2)
    assert not any(p.any() for p in parameters.values())


def test_initialize_parameters_random():
    parameters = course2.initialize_parameters_random([3, 2, 1])
    close(parameters["W1"], [[17.88628473, 4.36509851, 0.96497468],
                             [-18.63492703, -2.77388203, -3.54758979]])
    close(parameters["W2"], [[-0.82741481, -6.27000677]])
    assert not parameters["b1"].any() and parameters["b2"].shape == (1, 1)


def test_initialize_parameters_he():
    parameters = course2.initialize_parameters_he([2, 4, 1])
    close(parameters["W1"], [[1.78862847, 0.43650985], [0.09649747, -1.8634927],
                             [-0.2773882, -0.35475898], [-0.08274148, -0.62700068]])
    close(parameters["W2"], [[-0.03098412, -0.33744411, -0.92904268, 0.62552248]])


# --- Regularization (2021 and v2a print the same figures) ---

def forward_test_case():
    np.random.seed(1)
    X = np.random.randn(3, 5)
    return X, draw(SHAPES_3)


def test_compute_cost_with_regularization():
    np.random.seed(1)
    parameters = draw(SHAPES_3)
    A3 = np.array([[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])
    cost = course2.compute_cost_with_regularization(A3, Y5, parameters, lambd=0.1)
    assert cost == pytest.approx(1.7864859451590758, abs=1e-12)


def test_backward_propagation_with_regularization():
    # The test case's cache is the forward pass of its seeded X and parameters.
    X, parameters = forward_test_case()
    A3, cache = regularization.forward_propagation(X, parameters)
    close(A3, [[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])
    grads = course2.backward_propagation_with_regularization(X, Y5, cache, lambd=0.7)
    close(grads["dW1"], [[-0.25604646, 0.12298827, -0.28297129],
                         [-0.17706303, 0.34536094, -0.4410571]])
    close(grads["dW2"], [[0.79276486, 0.85133918], [-0.0957219, -0.01720463],
                         [-0.13100772, -0.03750433]])
    close(grads["dW3"], [[-1.77691347, -0.11832879, -0.09397446]])


def test_forward_propagation_with_dropout():
    X, parameters = forward_test_case()
    A3, _ = course2.forward_propagation_with_dropout(X, parameters, keep_prob=0.7)
    close(A3, [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]])


def test_backward_propagation_with_dropout():
    # The test case's cache: the seeded forward pass with keep_prob=0.5, whose
    # masks are the test case's D1 and D2.
    X, parameters = forward_test_case()
    A3, cache = course2.forward_propagation_with_dropout(X, parameters, keep_prob=0.5)
    np.testing.assert_array_equal(cache[1], [[1, 0, 1, 1, 1], [1, 1, 1, 1, 0]])
    np.testing.assert_array_equal(cache[6], [[1, 0, 1, 0, 1], [0, 1, 0, 1, 1], [0, 0, 1, 0, 0]])
    close(A3, [[0.32266394, 0.49683389, 0.00348883, 0.49683389, 0.32266394]])
    grads = course2.backward_propagation_with_dropout(X, Y5, cache, keep_prob=0.8)
    # The notebook's cache holds 8-decimal literals: one entry moves in its last digit.
    np.testing.assert_allclose(grads["dA1"], [[0.36544439, 0., -0.00188233, 0., -0.17408748],
                                              [0.65515713, 0., -0.00337459, 0., 0.]],
                               rtol=0, atol=2e-8)
    close(grads["dA2"], [[0.58180856, 0., -0.00299679, 0., -0.27715731],
                         [0., 0.53159854, 0., 0.53159854, -0.34089673],
                         [0., 0., -0.00292733, 0., 0.]])


# --- Gradient Checking ---

@pytest.mark.parametrize("x, theta, printed", [
    (3, 4, 7.814075313343006e-11),   # 2021
    (2, 4, 2.919335883291695e-10),   # Gradient Checking v1
])
def test_gradient_check_1d(x, theta, printed, capsys):
    assert gradient_checking.gradient_check(x, theta, print_msg=True) == printed
    assert "works perfectly fine" in capsys.readouterr().out


def gradient_check_n_test_case():
    np.random.seed(1)
    x = np.random.randn(4, 3)
    y = np.array([1, 1, 0])
    parameters = draw([("W1", (5, 4)), ("b1", (5, 1)), ("W2", (3, 5)), ("b2", (3, 1)),
                       ("W3", (1, 3)), ("b3", (1, 1))])
    return x, y, parameters


def test_gradient_check_n():
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = gradient_checking.forward_propagation_n(X, Y, parameters)
    gradients = gradient_checking.backward_propagation_n(X, Y, cache)
    # 2021 and v1 print 1.1890913024229996e-07 and 1.1890913023330276e-07.
    difference = course2.gradient_check_n(parameters, gradients, X, Y, 1e-7)
    assert difference == pytest.approx(1.1890913024229996e-07, rel=1e-8)
    # The notebook's deliberately wrong backward pass doubles dW2 and
    # quadruples db1: 2021's other expected value.
    wrong = {**gradients, "dW2": gradients["dW2"] * 2, "db1": gradients["db1"] * 4}
    difference = course2.gradient_check_n(parameters, wrong, X, Y, 1e-7)
    assert difference == pytest.approx(0.2850931567761623, rel=1e-10)


def test_vector_round_trip():
    _, _, parameters = gradient_check_n_test_case()
    theta, keys = course2.dictionary_to_vector(parameters)
    assert theta.shape == (47, 1) and keys[:21] == ["W1"] * 20 + ["b1"]
    back = course2.vector_to_dictionary(theta)
    for name, p in parameters.items():
        np.testing.assert_array_equal(back[name], p)
    grads = {"d" + name: p for name, p in parameters.items()}
    np.testing.assert_array_equal(course2.gradients_to_vector(grads), theta)


# --- Optimization Methods (2021) ---

def test_update_parameters_with_gd():
    np.random.seed(1)
    parameters, grads = draw(SHAPES_2), {"d" + k: v for k, v in draw(SHAPES_2).items()}
    new = course2.update_parameters_with_gd(parameters, grads, 0.01)
    close(new["W1"], [[1.63312395, -0.61217855, -0.5339999],
                      [-1.06196243, 0.85396039, -2.3105546]])
    close(new["b1"], [[1.73978682], [-0.77021546]])
    close(new["W2"], [[0.32587637, -0.24814147], [1.47146563, -2.05746183],
                      [-0.32772076, -0.37713775]])
    close(new["b2"], [[1.13773698], [-1.09301954], [-0.16397615]])


def test_random_mini_batches():
    np.random.seed(1)
    X = np.random.randn(12288, 148)
    Y = np.random.randn(1, 148) < 0.5
    batches = course2.random_mini_batches(X, Y, 64)
    assert [b[0].shape for b in batches] == [(12288, 64), (12288, 64), (12288, 20)]
    assert [b[1].shape for b in batches] == [(1, 64), (1, 64), (1, 20)]
    close(batches[0][0][0][0:3], [0.90085595, -0.7612069, 0.2344157])
    # The notebook's own check on an arange matrix.
    np.random.seed(1)
    m, nx = 148, 12288
    X = np.arange(nx * m).reshape((m, nx)).T
    batches = course2.random_mini_batches(X, np.random.randn(1, m) < 0.5, 64)
    np.testing.assert_array_equal(batches[0][0][0][0:3], [294912, 86016, 454656])
    np.testing.assert_array_equal(batches[-1][0][-1][0:3], [1425407, 1769471, 897023])


def test_initialize_velocity_and_adam():
    np.random.seed(1)
    parameters = draw([("W1", (3, 2)), ("b1", (3, 1)), ("W2", (3, 3)), ("b2", (3, 1))])
    v = course2.initialize_velocity(parameters)
    assert {k: a.shape for k, a in v.items()} == {"d" + k: p.shape for k, p in parameters.items()}
    v, s = course2.initialize_adam(parameters)
    assert not any(a.any() for a in [*v.values(), *s.values()]) and v["dW1"] is not s["dW1"]


def test_update_parameters_with_momentum():
    np.random.seed(1)
    parameters, grads = draw(SHAPES_2), {"d" + k: v for k, v in draw(SHAPES_2).items()}
    before = {k: p.copy() for k, p in parameters.items()}
    new, v = course2.update_parameters_with_momentum(
        parameters, grads, course2.initialize_velocity(parameters), beta=0.9, learning_rate=0.01)
    close(new["W1"], [[1.62522322, -0.61179863, -0.52875457],
                      [-1.071868, 0.86426291, -2.30244029]])
    close(new["b2"], [[1.1341662], [-1.09920409], [-0.171583]])
    close(v["dW1"], [[-0.08778584, 0.00422137, 0.05828152], [-0.11006192, 0.11447237, 0.09015907]])
    close(v["db2"], [[-0.03967535], [-0.06871727], [-0.08452056]])
    for k, p in parameters.items():
        np.testing.assert_array_equal(p, before[k])  # the inputs are left as they were


def test_update_parameters_with_adam():
    np.random.seed(1)
    parameters, grads = draw(SHAPES_2), {"d" + k: v for k, v in draw(SHAPES_2).items()}
    v, s = course2.initialize_adam(parameters)
    new, v, s, _, _ = course2.update_parameters_with_adam(parameters, grads, v, s, t=2,
                                                          learning_rate=0.02, beta1=0.8,
                                                          beta2=0.888, epsilon=1e-2)
    close(new["W1"], [[1.63937725, -0.62327448, -0.54308727],
                      [-1.0578897, 0.85032154, -2.31657668]])
    close(new["W2"], [[0.33400549, -0.23563857], [1.47715417, -2.04561842],
                      [-0.33729882, -0.36908457]])
    close(new["b1"], [[1.72995096], [-0.7762447]])
    close(new["b2"], [[1.14852557], [-1.08492339], [-0.15740527]])


def test_update_lr_and_schedule_lr_decay():
    assert course2.update_lr(0.5, 2, 1) == 0.16666666666666666
    assert course2.schedule_lr_decay(0.5, 10, 0.3, 100) == 0.5
    assert course2.schedule_lr_decay(0.5, 100, 0.3, 100) == 0.3846153846153846
    assert course2.schedule_lr_decay(0.5, 100, 1, 100) == 0.25


def test_homes_do_not_shadow_the_engine():
    from skdnn import engine

    assert engine.gradient_check is not gradient_checking.gradient_check
    assert not hasattr(course2, "gradient_check")
    assert initialization.update_parameters is engine.update_parameters
    assert optimization.initialize_parameters([2, 5, 2, 1])["W1"].shape == (5, 2)
