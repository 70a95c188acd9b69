"""scikit-learn's own MLP tests, ported to skdnn."""
